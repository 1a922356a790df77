# -*- Python -*-
# lit configuration of the nnc test suite. CMake writes build/test/lit.site.cfg.py
# (from lit.site.cfg.py.in) with the paths of this build; that file loads this
# one. Run lit on the build directory, never on this source folder:
#   python3 /usr/lib/llvm-19/build/utils/lit/lit.py -sv build/test
#
# Substitutions a RUN line can use:
#   %nnc       the nnc driver of this build (build/bin/nnc)
#   %nnc-repl  the REPL of this build (build/bin/nnc-repl)
#   %cc, %cxx  the C and C++ compilers CMake found (cc, c++)
#   %inc       -I flags for C code that includes a header nnc generated: the
#              test's %t (used as a folder), its Output folder %T, and the
#              test's own Inputs/ folder
#   %python    Debian's /usr/bin/python3 (sees python3-numpy), with
#              PYTHONPATH on this build's Python package (build/python) and
#              NNC_CACHE_DIR in build/test/nnc-cache
#   %examples  the repository's examples/ folder
#   %bench     the repository's bench/ folder (bench/run, its checks)
#   %nnc_include  the repository's include/ folder (nnc-c/safetensors.h)
#   %mpirun    Open MPI's mpirun, allowed to run as root and to start more
#              processes than there are cores
#   %data-tool the test tool nnc-data-tool (test/Tools): lib/Data's readers
#              and safetensors writer on the command line
#   FileCheck, not, count, and every other LLVM tool: /usr/lib/llvm-19/bin
#   %s %S %t %T %p %%: lit's usual ones
#
# Features for REQUIRES/UNSUPPORTED: nnc-repl (the REPL is built), numpy,
# bench-peers (the benchmark peers are in ../shared/peers next to the source),
# tmux, vim, fashion-mnist, asan (nnc is built with the sanitizers, NNC_SANITIZE),
# mpi (nnc train --distributed runs: nnc has MPI and mpirun is there), no-mpi
# (nnc was built without MPI), plus lit.llvm's own (system-linux, native, x86_64-linux, shell, ...).

import os
import shutil
import subprocess

import lit.formats
import lit.llvm

if not hasattr(config, "nnc_obj_root"):
    lit_config.fatal(
        "run lit on the build folder (build/test), which holds the "
        "generated lit.site.cfg.py, not on the source folder test/"
    )

lit.llvm.initialize(lit_config, config)
from lit.llvm import llvm_config

config.name = "nnc"
# RUN lines run in /bin/bash with pipefail, as LLVM's own tests do on Linux
# (LIT_USE_INTERNAL_SHELL=1 switches to lit's internal shell).
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".nn", ".test", ".c", ".ll"]
# Inputs/ holds the files tests read; they are not tests themselves.
config.excludes = ["Inputs", "CMakeLists.txt", "README.txt", "README.md"]
config.test_source_root = os.path.dirname(__file__)
# config.test_exec_root comes from lit.site.cfg.py: the build's test/ folder.

# A hanging test (the REPL waiting for input, say) fails after this many
# seconds instead of stalling CI. `--param timeout=N` changes it, 0 turns it
# off; lit needs psutil (python3-psutil) to enforce it.
_timeout = int(lit_config.params.get("timeout", 300))
if (_timeout > 0 and lit_config.maxIndividualTestTime == 0
        and lit_config.maxIndividualTestTimeIsSupported[0]):
    lit_config.maxIndividualTestTime = _timeout

# Tools of this build first, then LLVM's (FileCheck, not, count, llc, ...).
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.nnc_tools_dir, append_path=True)
# The Python package of this build (build/python/nnc, docs/python.md),
# which finds this build's nnc; its compiled modules cached in the build.
llvm_config.with_environment(
    "PYTHONPATH", os.path.join(config.nnc_obj_root, "python"))
llvm_config.with_environment(
    "NNC_CACHE_DIR", os.path.join(config.test_exec_root, "nnc-cache"))
# Deterministic output: no colours, no locale-dependent messages.
llvm_config.with_environment("LC_ALL", "C")
llvm_config.with_environment("TERM", "dumb")

# Order matters: lit applies the substitutions in turn, so a key must come
# before any key that is a prefix of it (%nnc-repl before %nnc).
config.substitutions.append(("%python", '"%s"' % config.python_executable))
config.substitutions.append(
    ("%inc", "-I%t -I%T -I" + os.path.join("%S", "Inputs")))
config.substitutions.append(
    ("%examples", os.path.join(config.nnc_src_root, "examples")))
config.substitutions.append(
    ("%bench", os.path.join(config.nnc_src_root, "bench")))
config.substitutions.append(
    ("%nnc_include", os.path.join(config.nnc_src_root, "include")))
config.substitutions.append(
    ("%data-tool", os.path.join(config.nnc_test_tools_dir, "nnc-data-tool")))
# The build tree itself (what `cmake --install` installs from).
config.substitutions.append(("%nnc_build", config.nnc_obj_root))
config.substitutions.append(("%cxx", config.cxx_compiler))
config.substitutions.append(("%cc", config.c_compiler))

# %nnc-repl and %nnc resolve to absolute paths in this build. A missing binary
# still gets a substitution (the test then fails saying which file is
# missing) rather than breaking the whole suite.
for name in ["nnc-repl", "nnc"]:
    config.substitutions.append(
        ("%" + name, os.path.join(config.nnc_tools_dir, name)))
if os.path.exists(os.path.join(config.nnc_tools_dir, "nnc-repl")):
    config.available_features.add("nnc-repl")

# FileCheck everywhere, `not` and `count` after a pipe: as in LLVM itself.
llvm_config.use_default_substitutions()

# A build with AddressSanitizer (NNC_SANITIZE): its shadow memory takes
# terabytes of address space, so tests under `ulimit -v` cannot run there.
if getattr(config, "nnc_sanitize", "").upper() in ("ON", "1", "TRUE", "YES"):
    config.available_features.add("asan")

if shutil.which("cmake") and shutil.which("ninja"):
    config.available_features.add("cmake")
# bench/run's default place for the peers it times nnc's code against.
if os.path.exists(os.path.join(config.nnc_src_root, "..", "shared", "peers",
                               "src", "common.h")):
    config.available_features.add("bench-peers")
# Graphviz renders `nnc graph -o f.png` (scripts/setup.sh installs it).
if shutil.which("dot"):
    config.available_features.add("graphviz")
if shutil.which("tmux"):
    config.available_features.add("tmux")
# Debian's dataset-fashion-mnist, which `nnc train --data fashion-mnist`
# reads (scripts/setup.sh installs it).
if os.path.exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"):
    config.available_features.add("fashion-mnist")
if shutil.which("vim"):
    config.available_features.add("vim")
# `nnc train --distributed` (lib/Train/Communicator.cpp): nnc built with
# MPI and Open MPI's mpirun to start it (scripts/setup.sh installs both);
# without MPI in the build, the option's error is tested instead.
# %mpirun starts processes as root too, and more than there are cores.
if config.nnc_have_mpi.upper() in ("ON", "1", "TRUE", "YES"):
    if shutil.which("mpirun"):
        config.available_features.add("mpi")
else:
    config.available_features.add("no-mpi")
# Under AddressSanitizer, Open MPI's own allocations are reported as leaks
# at exit, mostly from plugins it has unloaded by then (so no suppression
# can name them): the processes of %mpirun run without leak detection.
_mpirun = "mpirun --allow-run-as-root --oversubscribe"
if "asan" in config.available_features:
    _mpirun = "env ASAN_OPTIONS=detect_leaks=0 " + _mpirun
config.substitutions.append(("%mpirun", _mpirun))
try:
    subprocess.run(
        [config.python_executable, "-c", "import numpy"],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    config.available_features.add("numpy")
except (OSError, subprocess.CalledProcessError):
    pass
