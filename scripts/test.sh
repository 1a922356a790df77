#!/usr/bin/env bash
#===- scripts/test.sh - Set up, build, and run every test ----------------===#
#
# Usage: bash scripts/test.sh
#
# Installs what is missing and builds (scripts/setup.sh), then runs the lit
# suite (build/test) and the unit tests (ctest); then builds nnc again with
# AddressSanitizer and UndefinedBehaviorSanitizer (build-asan, NNC_SANITIZE)
# and runs both suites there too. It prints every summary and ends with the
# one line CI reads, the sum over both builds:
#   N passed, N failed
# It exits non-zero if a build or any test failed.
#
# Environment:
#   NNC_BUILD_DIR     build directory (default: build)
#   NNC_JOBS          parallel jobs for the build and for ctest (default: nproc)
#   NNC_LIT_ARGS      extra lit arguments, e.g. "--filter AD/"
#   NNC_TEST_TIMEOUT  seconds one lit test or unit test may take (default: 300)
#   NNC_SANITIZE_DIR  build directory of the sanitizer build (default:
#                     build-asan); NNC_SANITIZE_TESTS=0 skips that build
#
#===----------------------------------------------------------------------===#
set -uo pipefail

# shellcheck source=scripts/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
ROOT="$(nnc_repo_root)"
cd "$ROOT" || exit 1
BUILD_DIR="${NNC_BUILD_DIR:-build}"
JOBS="${NNC_JOBS:-$(nproc 2>/dev/null || echo 2)}"
TIMEOUT="${NNC_TEST_TIMEOUT:-300}"
PYTHON=/usr/bin/python3
[[ -x "$PYTHON" ]] || PYTHON="$(command -v python3)"
LIT=/usr/lib/llvm-19/build/utils/lit/lit.py

# Prints the closing line for a run that could not test anything.
fail_before_tests() {
  nnc_log "error: $1"
  echo "0 passed, 1 failed"
  exit 1
}

nnc_install_packages || fail_before_tests "installing packages failed"
nnc_build || fail_before_tests "the build failed"

# Runs lit and ctest in build directory $1 and sets SUITE_COUNTS to
# "lit_pass lit_fail lit_skip ctest_pass ctest_fail ctest_skip lit_rc ctest_rc".
run_suite() {
  local dir="$1" lit_json ctest_log lit_rc ctest_rc
  lit_json="$dir/test/lit-results.json"
  rm -f "$lit_json"
  # The per-test timeout needs python3-psutil; test/lit.cfg.py applies it.
  local lit_args=(-sv --no-progress-bar -o "$lit_json" --param "timeout=$TIMEOUT")
  # shellcheck disable=SC2206 # NNC_LIT_ARGS is split on purpose.
  lit_args+=(${NNC_LIT_ARGS:-})
  echo
  nnc_log "lit: $PYTHON $LIT ${lit_args[*]} $dir/test"
  "$PYTHON" "$LIT" "${lit_args[@]}" "$dir/test"
  lit_rc=$?

  ctest_log="$dir/ctest-output.log"
  echo
  # --no-tests=error: a build that discovered no unit test fails.
  nnc_log "ctest: ctest --test-dir $dir --output-on-failure --no-tests=error -j $JOBS"
  ctest --test-dir "$dir" --output-on-failure --no-tests=error -j "$JOBS" \
    --timeout "$TIMEOUT" 2>&1 | tee "$ctest_log"
  ctest_rc=${PIPESTATUS[0]}

  # Counts come from lit's JSON results and ctest's closing lines. A runner
  # that exited non-zero without reporting a failed test (it crashed, or
  # found no suite) counts as one failure, so the closing line never hides
  # it.
  SUITE_COUNTS="$("$PYTHON" - "$lit_json" "$lit_rc" "$ctest_log" "$ctest_rc" <<'EOF'
import json, re, sys

lit_json, lit_rc, ctest_log, ctest_rc = sys.argv[1:5]

PASS = {"PASS", "FLAKYPASS", "XFAIL"}
FAIL = {"FAIL", "XPASS", "UNRESOLVED", "TIMEOUT"}
lp = lf = ls = 0
try:
    with open(lit_json) as f:
        for test in json.load(f).get("tests", []):
            code = test.get("code", "")
            if code in PASS:
                lp += 1
            elif code in FAIL:
                lf += 1
            else:  # UNSUPPORTED, SKIPPED, EXCLUDED
                ls += 1
except (OSError, ValueError):
    pass
if lit_rc != "0" and lf == 0:
    lf = 1

cp = cf = cs = 0
try:
    text = open(ctest_log, errors="replace").read()
except OSError:
    text = ""
m = re.search(r"(\d+)% tests passed, (\d+) tests? failed out of (\d+)", text)
if m:
    cf, total = int(m.group(2)), int(m.group(3))
    # Skipped tests count in the total and as passed; disabled ones in neither.
    cs = len(re.findall(r"^\s*\d+ - .* \(Skipped\)\s*$", text, re.M))
    cp = total - cf - cs
if ctest_rc != "0" and cf == 0:
    cf = 1
print(lp, lf, ls, cp, cf, cs, lit_rc, ctest_rc)
EOF
)"
  [[ -n "$SUITE_COUNTS" ]] || SUITE_COUNTS="0 1 0 0 0 0 1 1"
}

summary_lines=()
passed=0
failed=0
any_rc=0
# Adds the counts in SUITE_COUNTS, labelled $1, to the totals.
add_counts() {
  local lp lf ls cp cf cs lrc crc
  read -r lp lf ls cp cf cs lrc crc <<<"$SUITE_COUNTS"
  summary_lines+=("$(printf '%-24s lit tests:  passed %d, failed %d, unsupported or skipped %d  (lit exit code %d)' \
    "$1" "$lp" "$lf" "$ls" "$lrc")")
  summary_lines+=("$(printf '%-24s unit tests: passed %d, failed %d, skipped %d  (ctest exit code %d)' \
    "" "$cp" "$cf" "$cs" "$crc")")
  passed=$((passed + lp + cp))
  failed=$((failed + lf + cf))
  if ((lrc != 0 || crc != 0)); then any_rc=1; fi
}

run_suite "$BUILD_DIR"
add_counts "$BUILD_DIR:"

#--- the same suites under ASan and UBSan -----------------------------------#
if [[ "${NNC_SANITIZE_TESTS:-1}" != 0 ]]; then
  SAN_DIR="${NNC_SANITIZE_DIR:-build-asan}"
  echo
  nnc_log "sanitizer build: $SAN_DIR (-fsanitize=address,undefined)"
  # -O1 keeps the instrumented build quick to compile and its tests quick
  # to run; asserts stay on (no NDEBUG).
  if NNC_BUILD_DIR="$SAN_DIR" NNC_BUILD_TYPE=Release \
    NNC_CMAKE_ARGS="-DNNC_SANITIZE=ON -DCMAKE_CXX_FLAGS_RELEASE=-O1 -DCMAKE_C_FLAGS_RELEASE=-O1" \
    nnc_build; then
    run_suite "$SAN_DIR"
  else
    nnc_log "error: the sanitizer build failed"
    SUITE_COUNTS="0 1 0 0 0 0 1 1"
  fi
  add_counts "$SAN_DIR (sanitizers):"
fi

echo
echo "==================================== summary ===================================="
printf '%s\n' "${summary_lines[@]}"
echo "${passed} passed, ${failed} failed"
if ((any_rc != 0 || failed != 0)); then
  exit 1
fi
exit 0
