"""Checks that a signature description (nnc --signature) and a header
(nnc --header) of one module describe the same interface: rebuilds each
function's C declaration, each struct's fields and each parameter table
from the JSON alone and looks for it, line for line, in the header.

Usage: signature_header.py SIGNATURE.json HEADER.h
Prints one line per mismatch and exits 1 if there is any.
"""
import json
import sys

CTYPES = {"f32": "float", "f64": "double", "i32": "int32_t",
          "i64": "int64_t", "bool": "bool"}


def declaration(f):
    params = ", ".join(a["c_type"] + ("" if a["c_type"].endswith("*") else " ")
                       + a["c_name"] for a in f["args"]) or "void"
    lines = ["%s %s(%s);" % (f["c_return"], f["symbol"], params)]
    if f["abi"] == "status":
        sizes = ", ".join("int64_t " + v for v in f["dim_vars"]) or "void"
        lines.append("int64_t %s(%s);" % (f["workspace_size"], sizes))
    return lines


def struct(s, name):
    lines = ["typedef struct %s {" % name]
    for fld in s["fields"]:
        dims = " * ".join(str(d) for d in fld["shape"])
        lines.append("  %s %s%s;" % (CTYPES[fld["dtype"]], fld["c_name"],
                                     "[%s]" % dims if dims else ""))
    return lines + ["} %s;" % name]


def main():
    sig = json.load(open(sys.argv[1]))
    header = open(sys.argv[2]).read().splitlines()
    assert sig["nnc_abi"] == 1, sig["nnc_abi"]
    wanted = []
    for f in sig["functions"]:
        wanted.append(declaration(f))
    for s in sig["instances"]:
        wanted.append(struct(s, s["struct"]))
        wanted.append(struct(s, s["grads_struct"]))
        wanted.append(["extern const nnc_param_info %s[];" % s["table"],
                       "extern const int64_t %s;" % s["count"]])
    for s in sig["optimizer_states"]:
        wanted.append(struct(s, s["struct"]))
    for name, value in sig["status_codes"].items():
        wanted.append(["#define %s %d" % (name, value)])
    bad = 0
    for lines in wanted:
        at = [i for i, h in enumerate(header) if h.split(" /*")[0] == lines[0]]
        if not any(header[i:i + len(lines)] == lines
                   or [h.split(" /*")[0] for h in header[i:i + len(lines)]] == lines
                   for i in at):
            print("not in the header: " + " | ".join(lines))
            bad += 1
    print("%d declarations, %d not in the header" % (len(wanted), bad))
    sys.exit(1 if bad else 0)


main()
