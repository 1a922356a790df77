#!/usr/bin/env bash
#===- scripts/demo.sh - Set up, build, and run the neuron demo -----------===#
#
# Usage: bash scripts/demo.sh
#
# Installs what is missing and builds (scripts/setup.sh), then compiles
# examples/neuron.nn -- the sigmoid neuron and its gradient, derived at compile
# time -- to an object file and a C header, links it with
# examples/neuron_main.c, and runs the program; then compiles
# examples/two_layer_net.nn and trains it on the spiral data set with
# examples/train_spiral.c; and last trains examples/fashion_mlp.nn on
# Fashion-MNIST for two epochs with `nnc train` (docs/training.md).
#
#===----------------------------------------------------------------------===#
set -euo pipefail

# shellcheck source=scripts/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$(nnc_repo_root)"
BUILD_DIR="${NNC_BUILD_DIR:-build}"
DEMO_DIR="$BUILD_DIR/demo"

nnc_install_packages
nnc_build

mkdir -p "$DEMO_DIR"
run() {
  printf '$ %s\n' "$*"
  "$@"
}
echo
run "$BUILD_DIR/bin/nnc" examples/neuron.nn -c -o "$DEMO_DIR/neuron.o" \
  --header "$DEMO_DIR/neuron.h"
run cc -I "$DEMO_DIR" examples/neuron_main.c "$DEMO_DIR/neuron.o" -lm \
  -o "$DEMO_DIR/neuron"
run "$DEMO_DIR/neuron"
echo
# The lecture's two-layer network, its gradients derived at compile time,
# trained from C on the spiral data (docs/tutorial.md).
run "$BUILD_DIR/bin/nnc" examples/two_layer_net.nn -c -o "$DEMO_DIR/net.o" \
  --header "$DEMO_DIR/net.h"
run cc -O2 -I "$DEMO_DIR" examples/train_spiral.c "$DEMO_DIR/net.o" -lm \
  -o "$DEMO_DIR/train_spiral"
run "$DEMO_DIR/train_spiral"
echo
# What a user comes for: a real model on real data. nnc train derives the
# train step, compiles it and trains; about 1.5 s an epoch on one core.
run "$BUILD_DIR/bin/nnc" train examples/fashion_mlp.nn --data fashion-mnist \
  --epochs 2
