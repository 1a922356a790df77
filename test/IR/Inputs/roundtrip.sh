#!/bin/bash
# roundtrip.sh NNC DIR FILE.nn... -- the round-trip property of IR text, for
# ../roundtrip.test. For every .nn file:
#   1. print each IR stage (--emit=ir, grad, opt) to a .nnir file, read that
#      back and print it: the text must come back unchanged;
#   2. continue the pipeline from the --emit=ir printout: --emit=grad, opt
#      and nn must print what they print for the .nn source.
# Files nnc rejects as .nn are skipped (other tests own them). Prints a
# FAIL line and a diff per mismatch, then a summary; exits 1 on a mismatch.
set -u
nnc=$1
dir=$2
shift 2
rm -rf "$dir"
mkdir -p "$dir"
files=0
checks=0
failed=0
for f in "$@"; do
  # Two inputs may share a base name: number them.
  b=$dir/$files-$(basename "$f" .nn)
  if ! "$nnc" "$f" --emit=ir > "$b.ir.nnir" 2> "$b.err"; then
    echo "SKIP: $f (not accepted as .nn)"
    continue
  fi
  files=$((files + 1))
  for stage in ir grad opt; do
    checks=$((checks + 1))
    if { [ $stage = ir ] || "$nnc" "$f" --emit=$stage > "$b.$stage.nnir"; } &&
       "$nnc" "$b.$stage.nnir" --emit=ir > "$b.$stage.again" &&
       diff -u "$b.$stage.nnir" "$b.$stage.again"; then
      continue
    fi
    echo "FAIL: $f: --emit=$stage printout does not read back unchanged"
    failed=$((failed + 1))
  done
  "$nnc" "$f" --emit=nn > "$b.nn.nnir"
  for stage in grad opt nn; do
    checks=$((checks + 1))
    if ! "$nnc" "$b.ir.nnir" --emit=$stage > "$b.$stage.fromir" ||
       ! diff -u "$b.$stage.nnir" "$b.$stage.fromir"; then
      echo "FAIL: $f: --emit=$stage from the --emit=ir printout differs"
      failed=$((failed + 1))
    fi
  done
done
echo "roundtrip: $files files, $checks checks, $failed failed"
[ "$failed" -eq 0 ] && [ "$files" -gt 0 ]
