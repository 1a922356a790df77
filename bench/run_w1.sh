#!/usr/bin/env bash
# W1 benchmark: nnc's value_and_grad(neuron) against the hand-written C
# backward pass of ../shared/peers/src/w1.c (variant "call": one
# non-inlined call per evaluation), both built -O3 for this CPU. The two
# binaries run alternately, round after round, and the ratio of medians is
# reported, since this VM's clock drifts between runs.
# usage: bench/run_w1.sh [rounds=5] [calls=10000000]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PEERS="${PEERS:-$ROOT/../shared/peers}"
ROUNDS="${1:-5}"
CALLS="${2:-10000000}"
OUT="${NNC_BENCH_WORK:-/tmp/nnc-bench}"
mkdir -p "$OUT"
NNC="$ROOT/build/bin/nnc"
[[ -x "$NNC" ]] || { echo "build nnc first (bash scripts/demo.sh)" >&2; exit 1; }

"$NNC" "$ROOT/bench/w1_neuron.nn" -O3 --mcpu=native -c -o "$OUT/w1_neuron.o" \
  --header "$OUT/w1_neuron.h"
cc -O3 -march=native -I "$OUT" -I "$PEERS/src" "$ROOT/bench/w1_nnc.c" \
  "$OUT/w1_neuron.o" -lm -o "$OUT/w1_nnc"
cc -O3 -march=native -o "$OUT/w1_c" "$PEERS/src/w1.c" -lm

nnc_times=(); c_times=()
for ((r = 0; r < ROUNDS; r++)); do
  c=$("$OUT/w1_c" "$CALLS" 5 c call | sed -n 's/.* med=\([0-9.]*\).*/\1/p')
  n=$("$OUT/w1_nnc" "$CALLS" 5 | sed -n 's/.* med=\([0-9.]*\).*/\1/p')
  c_times+=("$c"); nnc_times+=("$n")
  echo "round $r: hand C $c ns/call, nnc $n ns/call"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
mc=$(median "${c_times[@]}"); mn=$(median "${nnc_times[@]}")
echo "W1 value+gradient: hand C $mc ns/call, nnc $mn ns/call, nnc/C = $(awk -v a="$mn" -v b="$mc" 'BEGIN {printf "%.3f", a/b}')"
