// The C ABI of a model with layer state (issue 12), Inputs/state_model.nn:
// in evaluation mode a method uses the running statistics and writes them
// back unchanged; in training mode it normalizes with the batch's and
// updates the running ones in place, as PyTorch does; the same seed gives
// the same dropout masks. Then five SGD steps with seeds 0..4, whose
// losses it prints and whose parameter struct (state included) it writes
// to argv[1] for Inputs/state.py to compare with Python's, bit for bit.
#include "state_model.h"
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

enum { B = 6, D = 3, C = 2 };

static double relErr(double Got, double Want) {
  double E = fabs(Got - Want) / fmax(fabs(Want), 1e-300);
  return E == E ? E : INFINITY; // NaN fails
}

int main(int argc, char **argv) {
  if (argc != 2)
    return 2;
  double X[B][D];
  int32_t y[B];
  for (int i = 0; i < B; ++i) {
    for (int j = 0; j < D; ++j)
      X[i][j] = (double)((i * 7 + j * 3) % 11 - 5) / 4.0 + j;
    y[i] = i % C;
  }
  net_params_t P, Saved;
  if (net_init(0, &P, NULL) != NNC_OK)
    return 1;
  Saved = P;
  double Out[B][C], Ref[B][C], MaxErr = 0;

  // Evaluation: (x - mean) / sqrt(var + eps) * gamma + beta, then @ W.
  if (net_forward(&P, &X[0][0], B, D, false, 0, &Out[0][0], NULL) != NNC_OK)
    return 1;
  for (int i = 0; i < B; ++i)
    for (int k = 0; k < C; ++k) {
      Ref[i][k] = 0;
      for (int j = 0; j < D; ++j)
        Ref[i][k] += ((X[i][j] - P.bn_mean[j]) / sqrt(P.bn_var[j] + 0.001) *
                          P.bn_gamma[j] +
                      P.bn_beta[j]) *
                     P.W[j * C + k];
      MaxErr = fmax(MaxErr, relErr(Out[i][k], Ref[i][k]));
    }
  printf("eval: struct unchanged %d, max rel error <= 1e-12 %d\n",
         memcmp(&P, &Saved, sizeof P) == 0, MaxErr <= 1e-12);

  // Training: the batch's mean and biased variance normalize; the running
  // statistics move by momentum 0.2 towards them (variance unbiased).
  double Mean[D], Var[D];
  for (int j = 0; j < D; ++j) {
    Mean[j] = Var[j] = 0;
    for (int i = 0; i < B; ++i)
      Mean[j] += X[i][j] / B;
    for (int i = 0; i < B; ++i)
      Var[j] += (X[i][j] - Mean[j]) * (X[i][j] - Mean[j]) / B;
  }
  if (net_forward(&P, &X[0][0], B, D, true, 7, &Out[0][0], NULL) != NNC_OK)
    return 1;
  MaxErr = 0;
  for (int j = 0; j < D; ++j) {
    MaxErr = fmax(MaxErr, relErr(P.bn_mean[j], 0.8 * Saved.bn_mean[j] +
                                                   0.2 * Mean[j]));
    MaxErr = fmax(MaxErr, relErr(P.bn_var[j],
                                 0.8 * Saved.bn_var[j] +
                                     0.2 * Var[j] * B / (B - 1)));
  }
  printf("train: running statistics updated in place, max rel error <= "
         "1e-12 %d, parameters unchanged %d\n",
         MaxErr <= 1e-12,
         memcmp(&P, &Saved, offsetof(net_params_t, bn_mean)) == 0);
  // Dropout: each element of the normalized batch kept (scaled by 4/3) or
  // not; the output is that @ W. Seed 7 again gives the same output.
  double Again[B][C], Other[B][C];
  net_params_t Q = Saved;
  if (net_forward(&Q, &X[0][0], B, D, true, 7, &Again[0][0], NULL) != NNC_OK)
    return 1;
  Q = Saved;
  if (net_forward(&Q, &X[0][0], B, D, true, 8, &Other[0][0], NULL) != NNC_OK)
    return 1;
  printf("train: seed 7 again same %d, seed 8 differs %d, same state %d\n",
         memcmp(Out, Again, sizeof Out) == 0,
         memcmp(Out, Other, sizeof Out) != 0, memcmp(&P, &Q, sizeof P) == 0);

  // Five SGD steps from the initial struct, seeds 0..4.
  P = Saved;
  for (int Step = 0; Step < 5; ++Step) {
    double Loss;
    if (net_sgd_step(&P, &X[0][0], B, D, y, B, Step, 0.1, 0.0, &Loss, NULL) !=
        NNC_OK)
      return 1;
    printf("step %d: loss %.17g\n", Step, Loss);
  }
  FILE *F = fopen(argv[1], "wb");
  if (!F || fwrite(&P, sizeof P, 1, F) != 1)
    return 1;
  fclose(F);
  return 0;
}
