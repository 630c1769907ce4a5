#pragma once
// ReLUAlphaPerChannel: ReLU_alpha with one learnable alpha per channel (tensor "alpha", shape
// [C]; for a flat input {N}, one per feature), initialised to InitOptions::alpha:
//   y[c, i, j] = x (x >= 0),  (1 - alpha[c]) * x (x < 0);   d/dalpha[c] = sum over the channel's
//   positions (and the batch) of dy * ReLU(-x).
// The penalty lambda * sum |alpha| then sums every channel's alpha; metrics.csv shows each
// layer's mean alpha and alphas.csv the whole vectors (CONVENTIONS.md).
#include <algorithm>
#include <array>

#include "linconv/layers/activation.hpp"

namespace linconv {

struct ReLUAlphaPerChannel {
  template <std::size_t Index, Shape In>
  struct bind : detail::ElementwiseLayer<In>, detail::ActivationPasses<In, bind<Index, In>> {
    static constexpr auto name = FixedString("ReLUAlphaPerChannel");
    static constexpr std::array<ParamTensor, 1> tensors{{{"alpha", {In.c}, 1, 0}}};
    static constexpr std::size_t param_count = std::size_t(In.c);
    static constexpr std::size_t accumulators = std::size_t(In.c);
    static constexpr std::size_t plane = std::size_t(In.h) * std::size_t(In.w);

    static void init(const InitTensors& t, Rng&, const InitOptions& options) {
      std::fill(t.params, t.params + param_count, options.alpha);
    }

    static void apply(const float* alpha, const float* x, float* y, int n) {
      for (std::size_t k = 0; k < std::size_t(n) * In.c; ++k) {
        kernels::elementwise::leaky(1.0f - alpha[k % In.c], x + k * plane, y + k * plane, plane);
      }
    }

    // Channel by channel: its alpha's gradient and dx in one pass (dx may be dy itself).
    static void backward_terms(const float* alpha, const float* x, const float* dy, float* dx, int n,
                               double* dalpha) {
      for (std::size_t k = 0; k < std::size_t(n) * In.c; ++k) {
        const std::size_t c = k % In.c, at = k * plane;
        kernels::elementwise::leaky_backward(1.0f - alpha[c], x + at, dy + at, dx ? dx + at : nullptr, plane,
                                             dalpha[c]);
      }
    }
    static void add_param_gradient(float* dparams, const double* dalpha) {
      for (std::size_t c = 0; c < param_count; ++c) dparams[c] += static_cast<float>(dalpha[c]);
    }
  };
};

}  // namespace linconv
