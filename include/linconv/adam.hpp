#pragma once
// Adam with torch.optim.Adam's semantics (no weight decay, no amsgrad), one rule for every
// parameter:
//   m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g^2
//   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <vector>

namespace linconv {

struct AdamOptions {
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
};

class AdamState {
 public:
  AdamState(std::size_t size, AdamOptions options)
      : options_(options), m_(size, 0.0f), v_(size, 0.0f) {}

  // Advances the step counter; apply() then updates any part of the parameters.
  void next_step() { ++step_; }
  long step() const { return step_; }
  // The parameters it updates; 0 for a trainer that does not use Adam (it holds no moments).
  std::size_t size() const { return m_.size(); }

  // Updates params[begin, end) from grads[begin, end) with the current step's bias corrections.
  void apply(std::span<float> params, std::span<const float> grads, std::size_t begin,
             std::size_t end) {
    const double correction1 = 1.0 - std::pow(double(options_.beta1), double(step_));
    const double correction2 = 1.0 - std::pow(double(options_.beta2), double(step_));
    const float step_size = static_cast<float>(options_.lr / correction1);
    const float root2 = static_cast<float>(std::sqrt(correction2));
    const float b1 = options_.beta1, b2 = options_.beta2;
    for (std::size_t i = begin; i < end; ++i) {
      const float g = grads[i];
      m_[i] = b1 * m_[i] + (1.0f - b1) * g;
      v_[i] = b2 * v_[i] + (1.0f - b2) * g * g;
      params[i] -= step_size * m_[i] / (std::sqrt(v_[i]) / root2 + options_.eps);
    }
  }

  // Continues from a saved state (a resumed run).
  void restore(long step, std::span<const float> m, std::span<const float> v) {
    step_ = step;
    std::copy(m.begin(), m.end(), m_.begin());
    std::copy(v.begin(), v.end(), v_.begin());
  }

  std::span<const float> first_moment() const { return m_; }
  std::span<const float> second_moment() const { return v_; }

 private:
  AdamOptions options_;
  long step_ = 0;
  std::vector<float> m_, v_;
};

}  // namespace linconv
