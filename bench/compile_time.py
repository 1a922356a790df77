#!/usr/bin/env python3
"""Compile time of derived tensor code, as tables for docs/performance.md.

Two families of generated programs, each compiled with `nnc -O2 -c`:

  nesting  vjp^n of  f(x: f64[B, C], W: f64[C, C]) = softmax(x @ W, axis=1)
           for n = 1..6 (issue 8's example);
  lets     grad(grad(f, s), s) of a function of N element-wise `let`s over
           x: f64[B, C] and a scalar s, for N = 10, 20, ..., 100.

For each program the table gives the ops of the optimized nnc IR of the
derived function (`--emit=opt`), the LLVM instructions nnc emits before
LLVM's pipeline (`-O0 -S --emit-llvm`; at -O0 the module is as emitted),
the CPU time of `-O2 -c` (median of --repeat runs) and the time per op.
A compile that exceeds --timeout seconds is reported as such; one that
nnc refuses (a limit) shows its first error line.

usage: bench/compile_time.py [--nnc build/bin/nnc] [--max-vjp 6]
           [--lets 10,20,...,100] [--repeat 1] [--timeout 600] [--extra ARG]
           [--lock FILE] [--keep DIR]
On a shared machine pass --lock /tmp/nnc-cpu.lock: each compile then
waits for the lock, and the small --emit runs go without it.
"""
import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def nesting_program(n):
    body = "f"
    for _ in range(n):
        body = "vjp(" + body + ")"
    return ("fn f(x: f64[B, C], W: f64[C, C]) = softmax(x @ W, axis=1);\n"
            "fn v = " + body + ";\n")


def lets_program(n):
    # A chain that mixes the element-wise kinds derivatives produce: each
    # let depends on the previous two, on the input and on the scalar.
    lines = ["fn f(x: f64[B, C], s: f64) {", "  let a0 = x * s;",
             "  let a1 = tanh(a0) + x;"]
    ops = ["tanh({p} * s) + {q}", "sigmoid({p}) * {q}", "exp(-{p} * {p}) + {q} * s",
           "{p} * {q} + s"]
    for i in range(2, n + 1):
        e = ops[i % len(ops)].format(p="a%d" % (i - 1), q="a%d" % (i - 2))
        lines.append("  let a%d = %s;" % (i, e))
    lines.append("  return sum(a%d);" % n)
    lines.append("}")
    lines.append("fn d2 = grad(grad(f, s), s);")
    return "\n".join(lines) + "\n"


def count_ops(nnc, path, fn):
    out = subprocess.run([nnc, path, "--emit=opt"], capture_output=True,
                         text=True, check=True).stdout
    n, inside = 0, False
    for line in out.splitlines():
        if line.startswith("func @" + fn + "("):
            inside = True
        elif inside and line.startswith("}"):
            break
        elif inside and line.strip():
            n += 1
    return n


def count_llvm(nnc, path):
    out = subprocess.run([nnc, path, "-O0", "-S", "--emit-llvm", "-o", "-"],
                         capture_output=True, text=True, check=True).stdout
    return sum(1 for l in out.splitlines()
               if l.startswith("  ") and not l.startswith("  ;"))


def time_compile(nnc, path, repeat, timeout, extra, lock):
    # CPU time (user + system) of the compiler, not wall time: the machine
    # is shared, and with --lock the wait for it costs no CPU.
    times = []
    for _ in range(repeat):
        cmd = ["timeout", str(timeout), nnc, path, "-O2", "-c", "-o",
               os.devnull] + extra
        if lock:
            cmd = ["flock", lock] + cmd
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        r = subprocess.run(cmd, capture_output=True, text=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        dt = (after.ru_utime - before.ru_utime) + (after.ru_stime -
                                                   before.ru_stime)
        if r.returncode == 124:
            return "> %d s" % timeout, None
        if r.returncode != 0:
            err = (r.stderr.strip().splitlines() or ["exit %d" % r.returncode])[0]
            return "error: " + re.sub(r"^\S+: error: ", "", err)[:60], None
        times.append(dt)
    return None, statistics.median(times)


def row(nnc, name, text, fn, args, out):
    path = os.path.join(out, name + ".nn")
    with open(path, "w") as f:
        f.write(text)
    ops = count_ops(nnc, path, fn)
    llvm = count_llvm(nnc, path)
    err, t = time_compile(nnc, path, args.repeat, args.timeout, args.extra,
                          args.lock)
    if err:
        cells = [err, ""]
    else:
        cells = ["%.2f s" % t, "%.1f ms" % (1000 * t / ops)]
    print("| %s | %d | %d | %s |" % (name, ops, llvm, " | ".join(cells)),
          flush=True)
    return t


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--nnc", default=os.path.join(ROOT, "build", "bin", "nnc"))
    p.add_argument("--max-vjp", type=int, default=6)
    p.add_argument("--lets", default=",".join(str(10 * i) for i in range(1, 11)))
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--timeout", type=int, default=600)
    p.add_argument("--extra", action="append", default=[],
                   help="an extra nnc argument for the -O2 compiles")
    p.add_argument("--lock", help="run each -O2 compile under flock LOCK "
                   "(e.g. /tmp/nnc-cpu.lock on a shared machine)")
    p.add_argument("--keep", help="write the programs to this directory")
    args = p.parse_args()
    out = args.keep or tempfile.mkdtemp(prefix="nnc-compile-time-")
    os.makedirs(out, exist_ok=True)
    head = ("| program | opt IR ops | LLVM instrs (-O0) | -O2 -c | per op |\n"
            "| --- | --- | --- | --- | --- |")
    if args.max_vjp > 0:
        print("Nesting: vjp^n(softmax(x @ W, axis=1))\n\n" + head)
        for n in range(1, args.max_vjp + 1):
            row(args.nnc, "vjp%d" % n, nesting_program(n), "v", args, out)
        print()
    lets = [int(x) for x in args.lets.split(",") if x]
    if lets:
        print("Lets: grad(grad(f, s), s) of N element-wise lets\n\n" + head)
        for n in lets:
            row(args.nnc, "lets%d" % n, lets_program(n), "d2", args, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
