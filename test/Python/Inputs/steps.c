// Five Adam steps of examples/spiral_step.nn from C, on data both this
// program and Inputs/train.py compute exactly: prints each loss and writes
// the parameter and state structs' bytes to argv[1] and argv[2].
#include "spiral_step.h"
#include <stdio.h>
#include <string.h>

enum { B = 12 };

int main(int argc, char **argv) {
  if (argc != 3)
    return 2;
  float X[B][2];
  int32_t y[B];
  for (int i = 0; i < B; ++i) {
    for (int j = 0; j < 2; ++j)
      X[i][j] = (float)((i * 7 + j * 3) % 11 - 5) / 4.0f;
    y[i] = i % 3;
  }
  net_params_t params;
  net_adam_state_t state;
  memset(&state, 0, sizeof state);
  if (net_init(1, &params, NULL) != NNC_OK)
    return 1;
  for (int step = 0; step < 5; ++step) {
    float loss;
    if (net_adam_step(&params, &X[0][0], B, 2, y, B, &state, 0.01f, 0.9f,
                      0.999f, 1e-8f, 0.0f, &loss, NULL) != NNC_OK)
      return 1;
    printf("step %d: loss %.9g\n", step, loss);
  }
  FILE *p = fopen(argv[1], "wb"), *s = fopen(argv[2], "wb");
  if (!p || !s || fwrite(&params, sizeof params, 1, p) != 1 ||
      fwrite(&state, sizeof state, 1, s) != 1)
    return 1;
  fclose(p);
  fclose(s);
  return 0;
}
