#!/usr/bin/env bash
#===- scripts/setup.sh - Install what nnc needs, then build it ------------===#
#
# Usage: bash scripts/setup.sh [--no-build]
#
# Idempotent set-up for a fresh Debian 12 machine, run as root from anywhere:
#   1. installs the Debian packages below that are missing (one `apt-get
#      update` first, only if something is missing; non-interactive);
#   2. configures build/ with CMake + Ninja (only if not configured yet) and
#      builds it.
#
# Other scripts source this file to reuse nnc_install_packages and nnc_build;
# sourcing it runs nothing.
#
# Environment:
#   NNC_BUILD_DIR   build directory (default: build, relative to the repo root)
#   NNC_BUILD_TYPE  CMAKE_BUILD_TYPE for a fresh configure (default: Release)
#   NNC_JOBS        parallel build jobs (default: nproc)
#   NNC_CMAKE_ARGS  extra arguments for a fresh configure (split on spaces)
#
#===----------------------------------------------------------------------===#

# Debian package -> why nnc needs it.
NNC_PACKAGES=(
  cmake                 # build system
  ninja-build           # build backend
  gcc g++ make          # C/C++ compilers; cc also links the demo and the tests
  python3               # lit, the test scripts (/usr/bin/python3)
  python3-numpy         # numeric reference values in tests
  python3-psutil        # lets lit enforce per-test timeouts (--timeout)
  llvm-19-dev           # LLVM headers, libLLVM.so, the CMake package; pulls
                        # libffi-dev, libxml2-dev, libz3-dev, libncurses-dev
  llvm-19-tools         # FileCheck, not, count, lit.py
  libllvm19             # the shared libLLVM-19 nnc links against
  antlr4                # the ANTLR 4 tool (a Java program) for grammar/
  default-jre-headless  # the Java runtime antlr4 runs on
  libantlr4-runtime-dev # ANTLR's C++ runtime, linked into lib/Parse
  libgtest-dev googletest # GoogleTest for unittests/
  libedit-dev           # line editing in nnc-repl
  zlib1g-dev libzstd-dev  # compression libraries LLVM's CMake package names;
                          # zlib also inflates gzip'd datasets (lib/Data)
  tmux                  # drives nnc-repl in terminal tests
  graphviz              # `dot` renders `nnc graph -o f.svg/.png` (DOT text
                        # needs nothing); its tests run when it is there
  libopenblas-dev       # bench/run: the C+OpenBLAS peers (cblas_sgemm) that
                        # the generated code is timed against; not a build
                        # or test dependency of nnc itself
  openmpi-bin libopenmpi-dev # Open MPI: mpirun and the library of
                        # `nnc train --distributed` (data-parallel training;
                        # without it nnc builds, and the option says so)
  dataset-fashion-mnist # Fashion-MNIST's gzip'd IDX files in
                        # /usr/share/datasets/fashion-mnist/: the training
                        # data of `--data fashion-mnist` and lib/Data's tests
)

# Prints a message on stderr, prefixed so it stands out in CI logs.
nnc_log() { printf '==> %s\n' "$*" >&2; }

# The repository root: the parent of the folder holding this script.
nnc_repo_root() {
  (cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
}

# Succeeds if Debian package $1 is installed (not just known, or removed with
# its configuration files left behind).
nnc_package_installed() {
  dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed'
}

# Installs every package of NNC_PACKAGES that is missing, and nothing else.
nnc_install_packages() {
  local missing=() pkg
  for pkg in "${NNC_PACKAGES[@]}"; do
    nnc_package_installed "$pkg" || missing+=("$pkg")
  done
  if ((${#missing[@]} == 0)); then
    nnc_log "all ${#NNC_PACKAGES[@]} required packages are installed"
    return 0
  fi
  nnc_log "installing missing packages: ${missing[*]}"
  local sudo=()
  if ((EUID != 0)); then
    if command -v sudo >/dev/null 2>&1; then
      sudo=(sudo)
    else
      nnc_log "error: not root and no sudo; install as root: ${missing[*]}"
      return 1
    fi
  fi
  local apt_opts=(-y -q -o DPkg::Lock::Timeout=600
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get update -q -o DPkg::Lock::Timeout=600
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install --no-install-recommends "${apt_opts[@]}" "${missing[@]}"
  for pkg in "${missing[@]}"; do
    if ! nnc_package_installed "$pkg"; then
      nnc_log "error: package '$pkg' is still not installed"
      return 1
    fi
  done
}

# Configures the build directory if needed, then builds everything.
nnc_build() {
  local root build_dir jobs
  root="$(nnc_repo_root)"
  build_dir="${NNC_BUILD_DIR:-build}"
  jobs="${NNC_JOBS:-$(nproc 2>/dev/null || echo 2)}"
  cd "$root" || return 1
  if [[ -f "$build_dir/CMakeCache.txt" ]] &&
    ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$build_dir/CMakeCache.txt"; then
    nnc_log "error: $build_dir was configured with another generator;" \
      "remove it (rm -rf $build_dir) and run again"
    return 1
  fi
  if [[ ! -f "$build_dir/build.ninja" ]]; then
    nnc_log "configuring $build_dir (${NNC_BUILD_TYPE:-Release}, Ninja)"
    # shellcheck disable=SC2086 # NNC_CMAKE_ARGS is split on purpose.
    cmake -G Ninja -S . -B "$build_dir" \
      -DCMAKE_BUILD_TYPE="${NNC_BUILD_TYPE:-Release}" ${NNC_CMAKE_ARGS:-} ||
      return 1
  fi
  nnc_log "building $build_dir with $jobs jobs"
  cmake --build "$build_dir" -j "$jobs" || return 1
}

nnc_setup_main() {
  set -euo pipefail
  local build=1 arg
  for arg in "$@"; do
    case "$arg" in
    --no-build) build=0 ;;
    -h | --help)
      sed -n '4p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      return 0
      ;;
    *)
      nnc_log "error: unknown argument '$arg'"
      return 2
      ;;
    esac
  done
  nnc_install_packages
  if ((build)); then
    nnc_build
  fi
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  nnc_setup_main "$@"
fi
