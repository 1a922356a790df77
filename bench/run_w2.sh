#!/usr/bin/env bash
# W2 benchmark: one train step of the CS231n two-layer MLP (x [B,784], W1
# [784,100], b1, ReLU, W2 [100,10], b2, mean softmax cross-entropy, backward,
# SGD; float32, one thread) for B = 1, 16, 64, 256. nnc's
# value_and_grad(net.loss, params) (bench/w2/w2_mlp.nn) plus the SGD update
# in C (bench/w2/w2_nnc.c) against the naive hand-written C peer
# ../shared/peers/src/w2.c run as-is, both -O3 for this CPU. The driver
# includes the peer's source, so both use the same data, initial parameters
# and sampling; it first checks nnc's loss and gradients against the peer's
# forward/backward on identical inputs (relative error < 1e-4).
# If OpenBLAS's development files are installed, the peer's -DUSE_BLAS build
# is timed too, as a second reference (not required).
# The binaries run alternately, round after round; the script prints every
# round and, per B, the medians and the ratio nnc / naive C of the medians.
# usage: bench/run_w2.sh [rounds=7] [samples=7] [min_sample_s=0.03] [Blist=1,16,64,256]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PEERS="${PEERS:-$ROOT/../shared/peers}"
ROUNDS="${1:-7}"
SAMPLES="${2:-7}"
MINS="${3:-0.03}"
BLIST="${4:-1,16,64,256}"
OUT="${NNC_BENCH_WORK:-/tmp/nnc-bench}"
mkdir -p "$OUT"
NNC="$ROOT/build/bin/nnc"
[[ -x "$NNC" ]] || { echo "build nnc first (bash scripts/demo.sh)" >&2; exit 1; }
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

"$NNC" "$ROOT/bench/w2/w2_mlp.nn" -O3 --mcpu=native -c -o "$OUT/w2_mlp.o" \
  --header "$OUT/w2_mlp.h"
cc -O3 -march=native -I "$OUT" -I "$PEERS/src" "$ROOT/bench/w2/w2_nnc.c" \
  "$OUT/w2_mlp.o" -lm -o "$OUT/w2_nnc"
cc -O3 -march=native -o "$OUT/w2_c" "$PEERS/src/w2.c" -lm
BLAS=0
if cc -O3 -march=native -DUSE_BLAS -o "$OUT/w2_blas" "$PEERS/src/w2.c" \
     -lopenblas -lm 2>/dev/null; then
  BLAS=1
fi

W2_CHECK=1 "$OUT/w2_nnc" nnc "$BLIST" 2>&1

# "label variant B med" lines of one run
run() { "$@" | sed -n 's/.*variant=\([a-z]*\) B=\([0-9]*\) .* med=\([0-9.]*\).*/\1 \2 \3/p'; }
RES="$OUT/w2_rounds.txt"
: > "$RES"
for ((r = 0; r < ROUNDS; r++)); do
  run "$OUT/w2_c" c "$BLIST" "$SAMPLES" "$MINS" | sed "s/^/$r c /" >> "$RES"
  run "$OUT/w2_nnc" nnc "$BLIST" "$SAMPLES" "$MINS" | sed "s/^/$r nnc /" >> "$RES"
  if ((BLAS)); then
    # OpenBLAS picks its kernel for this CPU itself (as in bench/run)
    run env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$OUT/w2_blas" blas "$BLIST" "$SAMPLES" "$MINS" 2>/dev/null | sed "s/^/$r blas /" >> "$RES"
  fi
  awk -v r="$r" '$1 == r && $3 == "step" {
      if (!($4 in t)) bs[++nb] = $4; t[$4] = t[$4] sprintf(" %s %.1f", $2, $5) }
    END {printf "round %d (step, us):", r; for (k = 1; k <= nb; k++) printf "  B=%s:%s", bs[k], t[bs[k]]; printf "\n"}' "$RES"
done

# per B: medians over rounds of each figure; nnc/C = ratio of the step medians,
# and the median of the per-round ratios (robust to the clock drifting)
awk -v blas="$BLAS" '
  function med(s,   a, n, i, j, x) {
    n = split(s, a, " ");
    for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > x + 0; j--) a[j + 1] = a[j]; a[j + 1] = x }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  { v[$2, $3, $4] = v[$2, $3, $4] " " $5; val[$1, $2, $3, $4] = $5; if (!($4 in seen)) { seen[$4] = 1; bs[++nb] = $4 } if ($1 + 1 > R) R = $1 + 1 }
  END {
    printf "\nW2 train step, medians over %d rounds (us/step):\n", R
    printf "| B | naive C step | nnc step | nnc / C | per-round nnc / C | nnc / C fwd | nnc / C fwd+bwd |%s\n", blas ? " C+OpenBLAS step |" : ""
    printf "| --- | --- | --- | --- | --- | --- | --- |%s\n", blas ? " --- |" : ""
    for (k = 1; k <= nb; k++) {
      b = bs[k]; rr = ""
      for (r = 0; r < R; r++) rr = rr " " val[r, "nnc", "step", b] / val[r, "c", "step", b]
      cs = med(v["c", "step", b]); ns = med(v["nnc", "step", b])
      printf "| %s | %.1f | %.1f | %.2f | %.2f | %.2f | %.2f |", b, cs, ns, ns / cs, med(rr),
        med(v["nnc", "fwd", b]) / med(v["c", "fwd", b]), med(v["nnc", "fwdbwd", b]) / med(v["c", "fwdbwd", b])
      if (blas) printf " %.1f |", med(v["blas", "step", b])
      printf "\n"
    }
  }' "$RES"
