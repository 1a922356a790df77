#!/usr/bin/env bash
# Builds build-fuzz/ (clang + libFuzzer + ASan/UBSan) and fuzzes nnc's front
# and middle end for N seconds (docs/fuzzing.md).
#
#   bash fuzz/run.sh [SECONDS] [extra libFuzzer flags...]
#
# SECONDS defaults to 60. The corpus grows in build-fuzz/corpus-TARGET
# (seeded from fuzz/corpus, or fuzz/corpus-ir for the IR targets); crashes,
# timeouts and OOMs land in build-fuzz/artifacts-TARGET/.
# Environment:
#   FUZZ_TARGET=nnc-fuzzer the target: nnc-fuzzer (whole pipeline and round
#                          trip), nnc-fuzz-parse, nnc-fuzz-check,
#                          nnc-fuzz-middle, nnc-fuzz-codegen (IR text),
#                          nnc-fuzz-repl (REPL input sequences)
#   CXX_FUZZ=clang++-19    the clang++ to build with (C compiler: same name
#                          with clang instead of clang++)
#   JOBS=1                 libFuzzer -jobs/-workers (one per core at most)
#   NNC_FUZZ_CODEGEN=1     also run emitLLVMModule on each valid module
#   BUILD_LOCK=/tmp/nnc-build.lock   serializes builds with other users
#
# Needs (Debian 12): clang-19 libclang-rt-19-dev (libFuzzer, ASan, UBSan
# runtimes), plus what scripts/setup.sh installs for the normal build.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_TO_RUN=${1:-60}
shift || true
CXX_FUZZ=${CXX_FUZZ:-clang++-19}
CC_FUZZ=${CXX_FUZZ/clang++/clang}
JOBS=${JOBS:-1}
BUILD_LOCK=${BUILD_LOCK:-/tmp/nnc-build.lock}
BUILD="$ROOT/build-fuzz"

# The project's packages (scripts/setup.sh), then the fuzzer's own.
# shellcheck source=scripts/setup.sh
source "$ROOT/scripts/setup.sh"
NNC_PACKAGES+=(clang-19 libclang-rt-19-dev)
nnc_install_packages || exit 1
if ! command -v "$CXX_FUZZ" >/dev/null; then
  echo "run.sh: $CXX_FUZZ not found" >&2
  exit 1
fi

if [ ! -f "$BUILD/build.ninja" ]; then
  flock "$BUILD_LOCK" cmake -S "$ROOT" -B "$BUILD" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER="$CC_FUZZ" -DCMAKE_CXX_COMPILER="$CXX_FUZZ" \
    -DNNC_BUILD_FUZZERS=ON -DNNC_BUILD_TESTS=OFF
fi
TARGET=${FUZZ_TARGET:-nnc-fuzzer}
flock "$BUILD_LOCK" cmake --build "$BUILD" --target "$TARGET" -j2
SEEDS="$ROOT/fuzz/corpus"
case "$TARGET" in
nnc-fuzz-middle | nnc-fuzz-codegen) SEEDS="$ROOT/fuzz/corpus-ir" ;;
esac

# The whole-pipeline target keeps its historical folders.
SUFFIX=${TARGET#nnc-fuzz}
SUFFIX=${SUFFIX#er}
mkdir -p "$BUILD/corpus$SUFFIX" "$BUILD/artifacts$SUFFIX"
cd "$BUILD"
PARALLEL=()
if [ "$JOBS" -gt 1 ]; then
  # Each job logs to build-fuzz/fuzz-N.log; they share the corpus.
  PARALLEL=(-jobs="$JOBS" -workers="$JOBS")
fi
# The parser wants 512 MiB of stack (nnc/Support/Stack.h) and starts a
# thread of that size for every input unless its own stack has it: give
# the main thread 1 GiB so it runs in place (when the hard limit allows).
ulimit -s 1048576 2>/dev/null || true
# -max_len=2048: the seeds are small and short inputs mutate faster.
# -timeout=10: a .nn file of 2 KiB that takes 10 s is a bug.
exec "$BUILD/bin/$TARGET" \
  -max_total_time="$SECONDS_TO_RUN" -max_len=2048 -timeout=10 \
  -dict="$ROOT/fuzz/nn.dict" -artifact_prefix="$BUILD/artifacts$SUFFIX/" \
  -print_final_stats=1 "${PARALLEL[@]}" \
  "$@" "$BUILD/corpus$SUFFIX" "$SEEDS"
