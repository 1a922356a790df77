#!/usr/bin/env python3
"""Checks that user errors go through the diagnostics registry, tested.

1. Every kind in include/nnc/Support/DiagnosticKinds.def is exercised by a
   test: the longest literal piece of its message (the text between the
   `{N}` placeholders, at least MIN_PROBE characters) appears in some file
   under test/ or unittests/, or the kind's name does (a unit test reporting
   DiagID::err_x). A kind whose message is only placeholders (`"{0}"`) must
   be named in PASS_THROUGH with the test that shows it.
2. No code in lib/ reports an error with llvm::createStringError (or a
   string starting "error:") unless it is an internal error (the message
   starts "internal error") or listed in ALLOWED with why it is not a user
   error of a .nn program (driver options, run-time statuses, IR input).

Prints one line per problem and exits 1 if there is any; otherwise prints
a summary and exits 0. Run by test/Driver/diagnostics-registry.test.

  check-diagnostics.py [--root DIR] [--def FILE] [--lib DIR] [--tests DIR...]
"""
import argparse
import os
import re
import sys

MIN_PROBE = 6

# Kinds whose whole message is an argument: the test that shows each.
PASS_THROUGH = {
    "err_syntax": "test/Parse (ANTLR's own messages, reworded)",
    "err_tensor_literal": "test/Sema/tensors.nn (ragged rows)",
    "warn_driver": "test/Driver (driver warnings)",
}

# Kinds reported somewhere in lib/ that no input is known to reach (the
# cases before them catch everything seen so far): each is a candidate for
# an assertion instead. Listed so that the list is reviewed, not silently
# grown.
UNREACHED = {
    "err_not_supported_yet": "CheckDerive.cpp: a derivative of a name that "
                             "is neither a function nor a derived one; "
                             "layers and instances are caught before",
}

# (file relative to lib/, message prefix) -> why it is not a .nn user error.
ALLOWED = {
    ("JIT/Engine.cpp", ""): "passes on the target machine's own error",
    ("JIT/Engine.cpp", "tensor dimensions disagree (NNC_ERR_SHAPE)"):
        "run-time status of the REPL; reported as err_run_time with a place",
    ("JIT/Engine.cpp", "a label or an index is out of range (NNC_ERR_INDEX)"):
        "run-time status of the REPL; reported as err_run_time with a place",
    ("JIT/Engine.cpp", "out of memory (NNC_ERR_NOMEM)"):
        "run-time status of the REPL; reported as err_run_time with a place",
    ("Support/Limits.cpp", "cannot open '"):
        "the input file itself cannot be read (too large, a device): there "
        "is no place in it to point at, as with a missing file",
    ("Data/Array.cpp", ""):
        "lib/Data's one error site (detail::dataError): malformed data and "
        "checkpoint files, named with the file (and line), not a place in "
        "a .nn program",
    ("Graph/GraphInternal.h", ""):
        "lib/Graph's one error site (error()): nnc graph's --fn, --at, "
        "--dims, --expand and -o options, :graph's arguments, a function "
        "it cannot draw, the summary after the file's "
        "own located diagnostics, and internal errors; no place in a .nn "
        "program to point at",
    ("Train/Trainer.cpp", ""):
        "lib/Train's one error site (train::error): nnc train's options, "
        "data and checkpoint files that do not fit the model, run-time "
        "statuses, the summary after the model's own located diagnostics",
    ("Transforms/PassRegistry.cpp", "unknown pass"): "the --passes option",
    ("Check/Check.cpp", "the file does not compile"):
        "nnc check's summary after the file's own located diagnostics",
    ("Check/Check.cpp", "no function '"): "nnc check's --fn option",
    ("CodeGen/Target.cpp", "unknown target"): "the --target option",
    ("CodeGen/Target.cpp", "cannot create a target machine"):
        "the --target/--mcpu options",
    ("CodeGen/Target.cpp", "the target cannot emit this file type"):
        "the -S/-c options for a target",
    ("IR/IRParser.cpp", "'%s' is not valid IR"):
        "summary after the IR parser's own located diagnostics",
    ("AD/ReverseMode.cpp", "'{0}' of @{1} needs a float scalar result"):
        "AD used alone; Sema (err_grad_nonscalar) and the IR parser report it",
    ("CodeGen/EntryABI.cpp", "function '"):
        "IR input (-x ir) only; Sema reports err_dim_not_bindable",
    ("CodeGen/LLVMEmitter.cpp", "function '"):
        "IR input (-x ir) only; Sema reports err_symbol_c_library and "
        "err_symbol_workspace_size",
    ("CodeGen/ModuleABI.cpp", "function '"):
        "IR input (-x ir) only; Sema reports err_symbol_c_header and "
        "err_symbol_param_table",
}

DIAG_RE = re.compile(r'^DIAG\((\w+),\s*(\w+),\s*"((?:[^"\\]|\\.)*)"\)', re.M)
ERROR_RE = re.compile(r'createStringError\s*\(')
STRING_RE = re.compile(r'"((?:[^"\\]|\\.)*)"')
ERROR_LITERAL_RE = re.compile(r'"error:')


def parse_kinds(path):
    with open(path, encoding="utf-8") as f:
        return DIAG_RE.findall(f.read())


def probe(fmt):
    """The longest literal piece of a format, unescaped."""
    pieces = re.split(r"\{\d+\}", fmt.replace('\\"', '"').replace("\\\\", "\\"))
    return max(pieces, key=len).strip()


def read_tests(dirs):
    texts = []
    for d in dirs:
        for root, _, files in os.walk(d):
            for name in files:
                try:
                    with open(os.path.join(root, name), encoding="utf-8",
                              errors="replace") as f:
                        texts.append(f.read())
                except OSError:
                    pass
    return "\n".join(texts)


def check_kinds(kinds, corpus):
    problems = []
    for name, _, fmt in kinds:
        if name in corpus or name in UNREACHED:
            continue
        p = probe(fmt)
        if len(p) < MIN_PROBE:
            if name not in PASS_THROUGH:
                problems.append(f"{name}: message \"{fmt}\" has no literal "
                                "text to look for; name it in a test or in "
                                "PASS_THROUGH")
            continue
        if p not in corpus:
            problems.append(f"{name}: no test under test/ or unittests/ "
                            f"shows it (looked for \"{p}\")")
    return problems


def check_lib(lib):
    problems = []
    for root, _, files in os.walk(lib):
        for name in sorted(files):
            if not name.endswith((".cpp", ".h")):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, lib).replace(os.sep, "/")
            with open(path, encoding="utf-8") as f:
                text = f.read()
            sites = [m.end() for m in ERROR_RE.finditer(text)]
            sites += [m.start() for m in ERROR_LITERAL_RE.finditer(text)]
            for pos in sites:
                line = text.count("\n", 0, pos) + 1
                # The message: the first string literal of the call, or ""
                # when it is built elsewhere (a variable).
                close = text.find(";", pos)
                m = STRING_RE.search(text, pos, close if close >= 0 else None)
                msg = m.group(1) if m else ""
                if msg.startswith("internal error"):
                    continue
                if any(rel == f and msg.startswith(p) and (p or not m)
                       for f, p in ALLOWED):
                    continue
                problems.append(f"lib/{rel}:{line}: a user error outside the "
                                f"diagnostics registry: \"{msg}\"")
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--root", default=os.path.dirname(here))
    ap.add_argument("--def", dest="kinds")
    ap.add_argument("--lib")
    ap.add_argument("--tests", nargs="*")
    a = ap.parse_args()
    kinds_path = a.kinds or os.path.join(
        a.root, "include/nnc/Support/DiagnosticKinds.def")
    lib = a.lib or os.path.join(a.root, "lib")
    tests = a.tests or [os.path.join(a.root, "test"),
                        os.path.join(a.root, "unittests")]
    kinds = parse_kinds(kinds_path)
    if not kinds:
        print(f"{kinds_path}: no DIAG entries")
        return 1
    problems = check_kinds(kinds, read_tests(tests)) + check_lib(lib)
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} problem(s)")
        return 1
    print(f"{len(kinds)} diagnostic kinds, each tested; no user error "
          "outside the registry")
    return 0


if __name__ == "__main__":
    sys.exit(main())
