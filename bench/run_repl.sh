#!/usr/bin/env bash
# nnc-repl latency: start-up to the first prompt, defining a scalar function
# and calling it, and calling the gradient of a function already defined.
# Each figure is the median over ROUNDS runs of nnc-repl reading a script
# (the same work as at a terminal, without the terminal):
#   start-up     nnc-repl on an empty script: everything before the first
#                prompt (loading, the JIT, the warm-up), then exit;
#   define+call  (time of a script of N `fn f(x) = x * k + 1` / `f(2)` pairs
#                - start-up) / N, each pair redefining f;
#   grad call    (time of `fn f(x, y, z) = ...` and N `grad(f)(...)` -
#                start-up) / N.
# usage: bench/run_repl.sh [rounds=11] [n=50]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS="${1:-11}"
N="${2:-50}"
REPL="$ROOT/build/bin/nnc-repl"
[[ -x "$REPL" ]] || { echo "build nnc-repl first (bash scripts/demo.sh)" >&2; exit 1; }
WORK="${NNC_BENCH_WORK:-/tmp/nnc-bench}"
mkdir -p "$WORK"

: > "$WORK/empty.nn"
for ((i = 0; i < N; i++)); do
  printf 'fn f(x) = x * %d + 1\nf(2)\n' "$i"
done > "$WORK/define_call.nn"
{
  echo 'fn f(x, y, z) = sigmoid((x + y) * z)'
  for ((i = 0; i < N; i++)); do printf 'grad(f)(%d, 5, -4)\n' "$i"; done
} > "$WORK/grad_call.nn"

/usr/bin/python3 - "$REPL" "$WORK" "$ROUNDS" "$N" <<'PY'
import statistics, subprocess, sys, time
repl, work, rounds, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

def run(script):
    with open(f"{work}/{script}") as f:
        t0 = time.perf_counter()
        subprocess.run([repl], stdin=f, stdout=subprocess.DEVNULL, check=True)
        return time.perf_counter() - t0

run("empty.nn")  # page the binary and libLLVM in
samples = {"start-up": [], "define+call": [], "grad call": []}
for _ in range(rounds):
    start = run("empty.nn")
    samples["start-up"].append(start)
    samples["define+call"].append((run("define_call.nn") - start) / n)
    samples["grad call"].append((run("grad_call.nn") - start) / n)
for name, target in (("start-up", 150), ("define+call", 20), ("grad call", 20)):
    xs = sorted(s * 1e3 for s in samples[name])
    print(f"{name:12s} median {statistics.median(xs):6.1f} ms "
          f"(min {xs[0]:.1f}, max {xs[-1]:.1f}; target < {target} ms)")
PY
