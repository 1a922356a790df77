#!/usr/bin/env bash
#===- scripts/test.sh - Set up, build, and run every test ----------------===#
#
# Usage: bash scripts/test.sh
#
# Installs what is missing and builds (scripts/setup.sh), then runs the lit
# suite (build/test) and the unit tests (ctest), prints both summaries, and
# ends with the one line CI reads:
#   N passed, N failed
# It exits non-zero if the build or any test failed.
#
# Environment:
#   NNC_BUILD_DIR     build directory (default: build)
#   NNC_JOBS          parallel jobs for the build and for ctest (default: nproc)
#   NNC_LIT_ARGS      extra lit arguments, e.g. "--filter AD/"
#   NNC_TEST_TIMEOUT  seconds one lit test or unit test may take (default: 300)
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

#--- lit ----------------------------------------------------------------------#
lit_json="$BUILD_DIR/test/lit-results.json"
rm -f "$lit_json"
# The per-test timeout needs python3-psutil; test/lit.cfg.py applies it.
lit_args=(-sv --no-progress-bar -o "$lit_json" --param "timeout=$TIMEOUT")
# shellcheck disable=SC2206 # NNC_LIT_ARGS is split on purpose.
lit_args+=(${NNC_LIT_ARGS:-})
echo
nnc_log "lit: $PYTHON $LIT ${lit_args[*]} $BUILD_DIR/test"
"$PYTHON" "$LIT" "${lit_args[@]}" "$BUILD_DIR/test"
lit_rc=$?

#--- ctest --------------------------------------------------------------------#
ctest_log="$BUILD_DIR/ctest-output.log"
echo
# --no-tests=error: a build that registered no unit tests fails, not passes.
nnc_log "ctest: ctest --test-dir $BUILD_DIR --output-on-failure --no-tests=error -j $JOBS"
ctest --test-dir "$BUILD_DIR" --output-on-failure --no-tests=error -j "$JOBS" \
  --timeout "$TIMEOUT" 2>&1 | tee "$ctest_log"
ctest_rc=${PIPESTATUS[0]}

#--- summary ------------------------------------------------------------------#
# Counts come from lit's JSON results and ctest's closing lines. A runner that
# exited non-zero without reporting a failed test (it crashed, or found no
# suite) counts as one failure, so the closing line never hides it.
read -r lit_pass lit_fail lit_skip ctest_pass ctest_fail ctest_skip < <(
  "$PYTHON" - "$lit_json" "$lit_rc" "$ctest_log" "$ctest_rc" <<'EOF'
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
print(lp, lf, ls, cp, cf, cs)
EOF
)

if [[ -z "${ctest_skip:-}" ]]; then
  nnc_log "error: could not read the test counts"
  lit_pass=0 lit_fail=1 lit_skip=0 ctest_pass=0 ctest_fail=0 ctest_skip=0
fi
passed=$((lit_pass + ctest_pass))
failed=$((lit_fail + ctest_fail))
echo
echo "==================================== summary ===================================="
printf 'lit tests:  passed %d, failed %d, unsupported or skipped %d  (lit exit code %d)\n' \
  "$lit_pass" "$lit_fail" "$lit_skip" "$lit_rc"
printf 'unit tests: passed %d, failed %d, skipped %d  (ctest exit code %d)\n' \
  "$ctest_pass" "$ctest_fail" "$ctest_skip" "$ctest_rc"
echo "${passed} passed, ${failed} failed"
if ((lit_rc != 0 || ctest_rc != 0 || failed != 0)); then
  exit 1
fi
exit 0
