#pragma once
// Plain stochastic gradient descent, torch.optim.SGD without momentum, dampening, weight decay
// or Nesterov:
//   p -= lr * g
// It keeps no state, so a run resumes from its weights alone. Beside Adam it separates the
// penalty's strength from the optimiser: on an alpha whose penalty gradient lambda * sign(alpha)
// dominates, an SGD step moves alpha by lr * lambda, where Adam's normalised step moves it by
// about lr whatever lambda is.
#include <cstddef>
#include <span>

namespace linconv {

struct SgdOptions {
  float lr = 1e-3f;
};

// Updates params[begin, end) from grads[begin, end).
inline void sgd_apply(const SgdOptions& options, std::span<float> params, std::span<const float> grads,
                      std::size_t begin, std::size_t end) {
  for (std::size_t i = begin; i < end; ++i) params[i] -= options.lr * grads[i];
}

}  // namespace linconv
