#!/bin/bash
# BatchNorm2d (B=64, C=32, 28x28, f32, training mode) in nnc and in PyTorch
# with one thread, in turn three times: docs/performance.md, "batch_norm".
# Usage: bench/batch_norm/run.sh [build dir]   (needs /usr/bin/python3 with torch)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
tmp=$(mktemp -d)
"$build/bin/nnc" "$here/bn.nn" -O3 -c -o "$tmp/bn.o" --header="$tmp/bn.h"
cc -O2 -I"$here/../../include" -I"$tmp" "$here/bn_nnc.c" "$tmp/bn.o" -lm -o "$tmp/bn"
for i in 1 2 3; do
  "$tmp/bn"
  /usr/bin/python3 "$here/bn_torch.py"
done
rm -rf "$tmp"
