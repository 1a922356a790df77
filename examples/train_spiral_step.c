// Trains the two-layer network of examples/spiral_step.nn on CS231n's spiral
// data set (3 classes of 100 points each) with the train step nnc generated:
// each call of net_adam_step is the forward pass, the backward pass and
// Adam's update, in place, so the loop has no body of its own. Prints the
// loss and the training accuracy; exits with 1 if the final loss is above
// 0.05 or the accuracy below 95%, or if any call fails.
//
//   build/bin/nnc examples/spiral_step.nn -c -o spiral_step.o --header spiral_step.h
//   cc -O2 -I. examples/train_spiral_step.c spiral_step.o -lm -o train_spiral_step
//   ./train_spiral_step [steps]       (1000 by default)
#include "spiral_step.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spiral.h"

int main(int argc, char **argv) {
  int steps = argc > 1 ? atoi(argv[1]) : 1000;
  // torch.optim.Adam's defaults, a larger learning rate, a little decay.
  const float lr = 0.01f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f,
              weight_decay = 1e-4f;

  static float X[B][2];
  static int32_t y[B];
  make_spiral(X, y);

  static net_params_t params;
  check(net_init(1, &params, NULL), "net_init");
  // Adam's moments and step count start at zero.
  static net_adam_state_t state;
  memset(&state, 0, sizeof state);

  size_t ws_size;
  void *workspace = alloc_workspace(net_adam_step_workspace_size(B),
                                    net_predict_workspace_size(B), &ws_size);

  float loss = 0;
  for (int step = 1; step <= steps; ++step) {
    // The loss is that of the parameters before this step's update.
    check(net_adam_step(&params, &X[0][0], B, 2, y, B, &state, lr, beta1,
                        beta2, eps, weight_decay, &loss, workspace),
          "net_adam_step");
    if (step == 1 || step % 200 == 0)
      printf("step %4d: loss %.6f\n", step, loss);
  }
  printf("adam steps taken: %lld\n", (long long)state.t);

  static int64_t predicted[B];
  check(net_predict(&params, &X[0][0], B, 2, predicted, workspace),
        "net_predict");
  int correct = 0;
  for (int i = 0; i < B; ++i)
    correct += predicted[i] == y[i];
  double accuracy = (double)correct / B;
  printf("training accuracy: %.2f\n", accuracy);
  free(workspace);
  return loss <= 0.05f && accuracy >= 0.95 ? 0 : 1;
}
