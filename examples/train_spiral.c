// Trains the two-layer network of examples/two_layer_net.nn on CS231n's
// spiral data set (3 classes of 100 points each) with full-batch gradient
// descent, as in the course's "minimal neural network case study", then
// prints the training accuracy. Exits with 1 if it is below 95%, or if any
// call fails.
//
//   build/bin/nnc examples/two_layer_net.nn -c -o net.o --header net.h
//   cc -O2 -I. examples/train_spiral.c net.o -lm -o train_spiral
//   ./train_spiral [steps]       (10000 by default, about a second)
#include "net.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "spiral.h"

static void sgd(float *p, const float *g, size_t n, float lr) {
  for (size_t i = 0; i < n; ++i)
    p[i] -= lr * g[i];
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

int main(int argc, char **argv) {
  int steps = argc > 1 ? atoi(argv[1]) : 10000;   // the course's number
  const float learning_rate = 1.0f, reg = 1e-3f;

  static float X[B][2];
  static int32_t y[B];
  make_spiral(X, y);

  // He-initialized weights, zero biases; the same for the same seed.
  static net_params_t params;
  static net_grads_t grads;
  check(net_init(1, &params, NULL), "net_init");

  size_t ws_size;
  void *workspace = alloc_workspace(net_vg_workspace_size(B),
                                    net_predict_workspace_size(B), &ws_size);
  printf("workspace: %lld bytes\n", (long long)ws_size);

  for (int step = 0; step <= steps; ++step) {
    float loss;
    check(net_vg(&params, &X[0][0], B, 2, y, B, reg, &loss, &grads, workspace),
          "net_vg");
    if (step % 1000 == 0 || step == steps)
      printf("step %5d: loss %.6f\n", step, loss);
    if (step == steps)
      break;
    sgd(params.fc1_W, grads.fc1_W, COUNT(params.fc1_W), learning_rate);
    sgd(params.fc1_b, grads.fc1_b, COUNT(params.fc1_b), learning_rate);
    sgd(params.fc2_W, grads.fc2_W, COUNT(params.fc2_W), learning_rate);
    sgd(params.fc2_b, grads.fc2_b, COUNT(params.fc2_b), learning_rate);
  }

  static int64_t predicted[B];
  check(net_predict(&params, &X[0][0], B, 2, predicted, workspace),
        "net_predict");
  int correct = 0;
  for (int i = 0; i < B; ++i)
    correct += predicted[i] == y[i];
  double accuracy = (double)correct / B;
  printf("training accuracy: %.2f\n", accuracy);
  free(workspace);
  return accuracy >= 0.95 ? 0 : 1;
}
