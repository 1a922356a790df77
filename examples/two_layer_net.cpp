// The two-layer network of examples/two_layer_net.nn from C++: a small RAII
// class owns the parameters and a reusable workspace, turns status codes
// into exceptions, and takes std::vector buffers.
//
//   build/bin/nnc examples/two_layer_net.nn -c -o net.o --header net.h
//   c++ -std=c++17 -O2 -I. examples/two_layer_net.cpp net.o -lm -o two_layer_net
#include "net.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

// A failed call: the status is NNC_ERR_SHAPE, NNC_ERR_INDEX or NNC_ERR_NOMEM.
struct NnError : std::runtime_error {
  NnError(const char *what, std::int32_t status)
      : std::runtime_error(std::string(what) + ": status " +
                           std::to_string(status)),
        status(status) {}
  std::int32_t status;
};

static void check(std::int32_t status, const char *what) {
  if (status != NNC_OK)
    throw NnError(what, status);
}

class TwoLayerNet {
public:
  static constexpr std::int64_t D = 2; // inputs per row

  explicit TwoLayerNet(std::int64_t seed) : params_(new net_params_t) {
    check(net_init(seed, params_.get(), nullptr), "net_init");
  }

  net_params_t &params() { return *params_; }

  float loss(const std::vector<float> &x, const std::vector<std::int32_t> &y) {
    float value;
    std::int64_t B = rows(x);
    check(net_loss(params_.get(), x.data(), B, D, y.data(),
                   static_cast<std::int64_t>(y.size()), &value,
                   workspace(net_loss_workspace_size(B))),
          "net_loss");
    return value;
  }

  // The regularized loss, and its gradient in `grads`.
  float value_and_grad(const std::vector<float> &x,
                       const std::vector<std::int32_t> &y, float reg,
                       net_grads_t &grads) {
    float value;
    std::int64_t B = rows(x);
    check(net_vg(params_.get(), x.data(), B, D, y.data(),
                 static_cast<std::int64_t>(y.size()), reg, &value, &grads,
                 workspace(net_vg_workspace_size(B))),
          "net_vg");
    return value;
  }

  std::vector<std::int64_t> predict(const std::vector<float> &x) {
    std::int64_t B = rows(x);
    std::vector<std::int64_t> classes(static_cast<std::size_t>(B));
    check(net_predict(params_.get(), x.data(), B, D, classes.data(),
                      workspace(net_predict_workspace_size(B))),
          "net_predict");
    return classes;
  }

  void sgd_step(const net_grads_t &g, float learning_rate) {
    step(params_->fc1_W, g.fc1_W, learning_rate);
    step(params_->fc1_b, g.fc1_b, learning_rate);
    step(params_->fc2_W, g.fc2_W, learning_rate);
    step(params_->fc2_b, g.fc2_b, learning_rate);
  }

private:
  template <std::size_t N>
  static void step(float (&p)[N], const float (&g)[N], float learning_rate) {
    for (std::size_t i = 0; i < N; ++i)
      p[i] -= learning_rate * g[i];
  }

  // The sizes are the caller's to get right: the compiled code checks them
  // against each other (here x's rows against y's length) and reports
  // NNC_ERR_SHAPE before it reads anything.
  static std::int64_t rows(const std::vector<float> &x) {
    return static_cast<std::int64_t>(x.size()) / D;
  }

  // One buffer for all calls, grown when a call needs more; doubles keep it
  // 8-byte aligned.
  void *workspace(std::int64_t bytes) {
    if (bytes < 0)
      throw NnError("workspace size", NNC_ERR_SHAPE);
    std::size_t words = (static_cast<std::size_t>(bytes) + 7) / 8;
    if (workspace_.size() < words)
      workspace_.resize(words);
    return workspace_.data();
  }

  std::unique_ptr<net_params_t> params_;
  std::vector<double> workspace_;
};

int main() {
  // Six points of three classes.
  std::vector<float> x = {0.5f,  0.1f,  0.4f,  0.3f, -0.3f, 0.6f,
                          -0.5f, 0.2f,  0.1f, -0.7f,  0.2f, -0.4f};
  std::vector<std::int32_t> y = {0, 0, 1, 1, 2, 2};

  TwoLayerNet net(7);
  auto grads = std::make_unique<net_grads_t>();

  // With every weight zero, the scores are all 0: the loss is log(3).
  TwoLayerNet zero(7);
  for (float &w : zero.params().fc2_W)
    w = 0;
  std::printf("loss with fc2.W = 0: %.6f (log 3 = %.6f)\n", zero.loss(x, y),
              std::log(3.0));

  float first = net.value_and_grad(x, y, 0, *grads);
  std::printf("initial loss: %.4f (net_loss agrees: %s)\n", first,
              net.loss(x, y) == first ? "yes" : "no");
  float last = first;
  for (int i = 0; i < 200; ++i) {
    net.sgd_step(*grads, 0.5f);
    last = net.value_and_grad(x, y, 0, *grads);
  }
  std::printf("loss after 200 steps: %.4f (%s)\n", last,
              last < first ? "decreased" : "did not decrease");
  std::printf("predicted:");
  int correct = 0;
  std::vector<std::int64_t> classes = net.predict(x);
  for (std::size_t i = 0; i < classes.size(); ++i) {
    std::printf(" %lld", static_cast<long long>(classes[i]));
    correct += classes[i] == y[i];
  }
  std::printf("\naccuracy: %d/%zu\n", correct, classes.size());

  // Errors become exceptions.
  try {
    net.loss(x, {0, 1, 2}); // six rows, three labels
  } catch (const NnError &e) {
    std::printf("%s\n", e.what());
  }
  try {
    net.loss(x, {0, 0, 1, 1, 2, 3}); // class 3 of 3
  } catch (const NnError &e) {
    std::printf("%s\n", e.what());
  }
  return last < first && correct == 6 ? 0 : 1;
}
