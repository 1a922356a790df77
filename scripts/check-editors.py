#!/usr/bin/env python3
"""Checks the editor support in editors/ against the language's sources, so
that the two cannot drift apart:

  * the keywords of grammar/NN.g4 (its lexer rules spelled as one word,
    `FN : 'fn' ;`) are exactly the keywords and constants of the VS Code
    grammar and of the Vim syntax;
  * the type names of include/nnc/Support/ElementKind.h are exactly their
    types;
  * every built-in of include/nnc/AST/Builtins.def is highlighted, as a
    built-in or (f32, i64, ...) as the type it converts to, and neither
    editor lists a built-in that no longer exists.

It also checks that the VS Code package's files parse and refer to each
other, that the grammar's regular expressions compile, and that the Vim
ftdetect file claims *.nn. Run by test/Driver/editors.test; prints one line
per problem and exits 1 if there is any.

With --tokenize FILE.nn it prints instead the tokens the VS Code grammar
gives FILE.nn, scanned as a TextMate engine does, one per line.

Usage: check-editors.py --root REPO [--grammar F] [--builtins F]
                        [--element-kinds F] [--vscode DIR] [--vim DIR]
                        [--tokenize FILE.nn]
"""
import argparse
import json
import os
import re
import sys

# The Vim syntax groups that hold each kind of word.
VIM_KEYWORD_GROUPS = {"nnStatement", "nnConditional", "nnReturn", "nnBoolean"}
VIM_TYPE_GROUPS = {"nnType"}
VIM_BUILTIN_GROUPS = {"nnBuiltin"}
VIM_OTHER_GROUPS = {"nnTodo"}


def grammar_keywords(path):
    words = set()
    for line in open(path, encoding="utf-8"):
        m = re.match(r"\s*[A-Z][A-Z_]*\s*:\s*'([A-Za-z_]+)'\s*;", line)
        if m:
            words.add(m.group(1))
    return words


def builtins(path):
    text = open(path, encoding="utf-8").read()
    return set(re.findall(r'^BUILTIN\(\w+,\s*"(\w+)"', text, re.M))


def element_kinds(path):
    text = open(path, encoding="utf-8").read()
    body = text[text.index("getElementKindName"):]
    body = body[:body.index("}")]
    return set(w for w in re.findall(r'return "(\w+)";', body))


def tm_words(pattern):
    """The words of every `\\b(a|b|c)\\b` alternation in a match."""
    words = set()
    for group in re.findall(r"\\b\(((?:\w+\|)*\w+)\)\\b", pattern):
        words.update(group.split("|"))
    return words


def walk_tm(node, out, problems, where):
    """Collects (scope, words) of every named match under node."""
    if isinstance(node, dict):
        for key in ("match", "begin", "end"):
            if key in node:
                try:
                    re.compile(node[key])
                except re.error as e:
                    problems.append(f"{where}: the pattern {node[key]!r} "
                                    f"does not compile: {e}")
        if "name" in node and "match" in node:
            out.append((node["name"], tm_words(node["match"])))
        for value in node.values():
            walk_tm(value, out, problems, where)
    elif isinstance(node, list):
        for value in node:
            walk_tm(value, out, problems, where)


def check_vscode(root, problems):
    """Returns (keywords, types, builtins) of the VS Code grammar."""
    rel = lambda p: os.path.relpath(p, root_dir)
    try:
        package = json.load(open(os.path.join(root, "package.json")))
    except (OSError, ValueError) as e:
        problems.append(f"{rel(root)}/package.json: {e}")
        return set(), set(), set()
    contributes = package.get("contributes", {})
    languages = contributes.get("languages", [])
    grammars = contributes.get("grammars", [])
    if not any(".nn" in l.get("extensions", []) for l in languages):
        problems.append(f"{rel(root)}/package.json: no language claims '.nn'")
    for l in languages:
        config = os.path.join(root, l.get("configuration", ""))
        try:
            c = json.load(open(config))
        except (OSError, ValueError) as e:
            problems.append(f"{rel(config)}: {e}")
            continue
        comments = c.get("comments", {})
        if comments.get("lineComment") != "//" or \
           comments.get("blockComment") != ["/*", "*/"]:
            problems.append(f"{rel(config)}: comments are not '//' and "
                            f"'/* */'")
        for pair in (["(", ")"], ["[", "]"], ["{", "}"]):
            if pair not in c.get("brackets", []):
                problems.append(f"{rel(config)}: no bracket pair {pair}")
    if len(grammars) != 1:
        problems.append(f"{rel(root)}/package.json: expected one grammar")
        return set(), set(), set()
    path = os.path.join(root, grammars[0].get("path", ""))
    try:
        grammar = json.load(open(path))
    except (OSError, ValueError) as e:
        problems.append(f"{rel(path)}: {e}")
        return set(), set(), set()
    if grammar.get("scopeName") != grammars[0].get("scopeName"):
        problems.append(f"{rel(path)}: scopeName differs from package.json's")
    matches = []
    walk_tm(grammar, matches, problems, rel(path))
    keywords, types, funcs = set(), set(), set()
    for scope, words in matches:
        if scope.startswith("support.function.builtin"):
            funcs |= words
        elif scope.startswith("storage.type.primitive"):
            types |= words
        elif scope.startswith("keyword.") or \
                scope.startswith("constant.language"):
            keywords |= words
    return keywords, types, funcs, rel(path)


def check_vim(root, problems):
    rel = lambda p: os.path.relpath(p, root_dir)
    ftdetect = os.path.join(root, "ftdetect", "nn.vim")
    try:
        text = open(ftdetect).read()
        if "*.nn" not in text or "setfiletype nn" not in text:
            problems.append(f"{rel(ftdetect)}: does not set filetype nn for "
                            f"*.nn")
    except OSError as e:
        problems.append(f"{rel(ftdetect)}: {e}")
    path = os.path.join(root, "syntax", "nn.vim")
    try:
        lines = open(path).read().split("\n")
    except OSError as e:
        problems.append(f"{rel(path)}: {e}")
        return set(), set(), set(), rel(path)
    # Join Vim's continuation lines (a line starting with '\').
    joined = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith("\\") and joined:
            joined[-1] += " " + stripped[1:]
        else:
            joined.append(line)
    keywords, types, funcs = set(), set(), set()
    for line in joined:
        m = re.match(r"\s*syn(?:tax)?\s+keyword\s+(\w+)\s+(.*)", line)
        if not m:
            continue
        group = m.group(1)
        words = set(w for w in m.group(2).split()
                    if "=" not in w and w not in ("contained", "skipwhite",
                                                  "skipnl", "skipempty"))
        if group in VIM_KEYWORD_GROUPS:
            keywords |= words
        elif group in VIM_TYPE_GROUPS:
            types |= words
        elif group in VIM_BUILTIN_GROUPS:
            funcs |= words
        elif group not in VIM_OTHER_GROUPS:
            problems.append(f"{rel(path)}: keyword group '{group}' is not "
                            f"one this script knows")
    return keywords, types, funcs, rel(path)


def flatten_tm(grammar, node, out):
    """The grammar's patterns in TextMate's order, includes expanded."""
    for pat in node.get("patterns", []):
        if "include" in pat:
            flatten_tm(grammar, grammar["repository"][pat["include"][1:]], out)
        else:
            out.append(pat)


def tokenize(grammar_path, source_path):
    """Prints 'line:col scope text' for each token of source_path as a
    TextMate engine scans it: at each place the pattern that matches
    earliest wins, the first listed on a tie; begin/end spans lines."""
    grammar = json.load(open(grammar_path))
    pats = []
    flatten_tm(grammar, grammar, pats)
    inside = None  # the begin/end pattern of an open span
    for lno, line in enumerate(open(source_path).read().split("\n"), 1):
        pos = 0
        while pos <= len(line):
            if inside:
                m = re.compile(inside["end"]).search(line, pos)
                end = m.end() if m else len(line)
                print(f"{lno}:{pos + 1} {inside['name']} {line[pos:end]}")
                pos = end
                if not m:
                    break
                inside = None
                continue
            best = None
            for pat in pats:
                m = re.compile(pat.get("match") or pat["begin"]).search(line,
                                                                      pos)
                if m and (best is None or m.start() < best[1].start()):
                    best = (pat, m)
            if not best:
                break
            pat, m = best
            if "begin" in pat:
                inside = pat
                pos = m.start()
                m2 = re.compile(pat["end"]).search(line, m.end())
                end = m2.end() if m2 else len(line)
                print(f"{lno}:{pos + 1} {pat['name']} {line[pos:end]}")
                pos = end
                if m2:
                    inside = None
                else:
                    break
                continue
            if "captures" in pat:
                for k, cap in sorted(pat["captures"].items()):
                    g = int(k)
                    print(f"{lno}:{m.start(g) + 1} {cap['name']} {m.group(g)}")
            else:
                print(f"{lno}:{m.start() + 1} {pat['name']} {m.group(0)}")
            pos = max(m.end(), pos + 1)


def compare(where, have, want, what, problems):
    for w in sorted(want - have):
        problems.append(f"{where}: {what} '{w}' is missing")
    for w in sorted(have - want):
        problems.append(f"{where}: '{w}' is not a {what} of the language")


def main():
    global root_dir
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--grammar")
    ap.add_argument("--builtins")
    ap.add_argument("--element-kinds")
    ap.add_argument("--vscode")
    ap.add_argument("--vim")
    ap.add_argument("--tokenize", metavar="FILE.nn",
                    help="print the VS Code grammar's tokens of FILE.nn")
    a = ap.parse_args()
    root_dir = os.path.abspath(a.root)
    at = lambda given, *rel: given or os.path.join(root_dir, *rel)
    if a.tokenize:
        tokenize(os.path.join(at(a.vscode, "editors", "vscode"), "syntaxes",
                              "nn.tmLanguage.json"), a.tokenize)
        return 0
    kw = grammar_keywords(at(a.grammar, "grammar", "NN.g4"))
    fns = builtins(at(a.builtins, "include", "nnc", "AST", "Builtins.def"))
    tys = element_kinds(at(a.element_kinds, "include", "nnc", "Support",
                           "ElementKind.h"))
    problems = []
    if not kw or not fns or not tys:
        problems.append("found no keywords, built-ins or types in the "
                        "language's sources: has their format changed?")
    for check, folder in ((check_vscode, at(a.vscode, "editors", "vscode")),
                          (check_vim, at(a.vim, "editors", "vim"))):
        result = check(folder, problems)
        if len(result) != 4:
            continue
        e_kw, e_ty, e_fn, where = result
        compare(where, e_kw, kw, "keyword", problems)
        compare(where, e_ty, tys, "type", problems)
        # A conversion may be highlighted as the type it converts to.
        compare(where, e_fn | (fns & e_ty), fns, "built-in", problems)
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} problem(s)")
        return 1
    print(f"editors: {len(kw)} keywords, {len(tys)} types and {len(fns)} "
          f"built-ins, the same in VS Code and Vim")
    return 0


root_dir = "."
sys.exit(main())
