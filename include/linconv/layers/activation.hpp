#pragma once
// The activations of the study, all of the family
//   ReLU_alpha(x) = ReLU(x) - (1 - alpha) * ReLU(-x)  =  x (x >= 0),  (1 - alpha) * x (x < 0)
// ReLUAlpha: one learnable alpha per layer (tensor "alpha", shape [1]), initialised to
//            InitOptions::alpha;  d/dalpha = sum of dy * ReLU(-x).
// ReLU:      alpha fixed at 1;  Identity: alpha fixed at 0. Neither has a tensor.
// (ReLUAlphaPerChannel, one alpha per channel, is in relu_alpha_per_channel.hpp.)
// The derivative at x = 0 is 0 for ReLUAlpha and ReLU, as in PyTorch's autograd.
// Besides forward/backward, an activation offers what a fused convolution calls per image:
//   apply(params, x, y, n)                        the forward pass on raw arrays;
//   backward_terms(params, x, dy, dx, n, acc)     the input gradient, and the parameter gradient
//                                                 accumulated in `accumulators` doubles;
//   add_param_gradient(dparams, acc)              the accumulated gradient, added in float.
#include <algorithm>
#include <array>
#include <optional>

#include "linconv/layer.hpp"
#include "linconv/elementwise.hpp"

namespace linconv {

namespace detail {
// Shape-preserving layer, computed element by element.
template <Shape In>
struct ElementwiseLayer : LayerBase<In> {
  static constexpr std::string_view kind = "act";
  static constexpr Shape out = In;
  static constexpr bool is_activation = true;  // may run inside the layer before it (engine.hpp)
  static constexpr std::size_t count(int n) { return std::size_t(n) * In.size(); }
};

// forward and backward of an activation in terms of its apply / backward_terms.
template <Shape In, class Act>
struct ActivationPasses {
  static void forward(const LayerTensors& t, Images<In> x, ImagesOut<In> y, const Context&) {
    Act::apply(t.params, x.data, y.data, x.n);
  }
  static void backward(const LayerTensors& t, Images<In> x, Images<In>, Images<In> dy, ImagesOut<In> dx,
                       const Context&) {
    std::array<double, Act::accumulators> acc{};
    for (int k = 0; k < x.n; ++k)  // image by image, as the fused pass does: the same sums
      Act::backward_terms(t.params, x.image(k), dy.image(k), dx ? dx.image(k) : nullptr, 1, acc.data());
    Act::add_param_gradient(t.dparams, acc.data());
  }
};

}  // namespace detail

struct ReLUAlpha {
  template <std::size_t Index, Shape In>
  struct bind : detail::ElementwiseLayer<In>, detail::ActivationPasses<In, bind<Index, In>> {
    using base = detail::ElementwiseLayer<In>;
    static constexpr auto name = FixedString("ReLUAlpha");
    static constexpr std::array<ParamTensor, 1> tensors{{{"alpha", {1}, 1, 0}}};
    static constexpr std::size_t param_count = 1;
    static constexpr std::size_t accumulators = 1;

    static void init(const InitTensors& t, Rng&, const InitOptions& options) { t.params[0] = options.alpha; }

    static void apply(const float* params, const float* x, float* y, int n) {
      kernels::elementwise::leaky(1.0f - params[0], x, y, base::count(n));
    }
    // apply is elementwise::leaky with this slope: a convolution before it may apply it as it
    // stores its output (Conv::forward_fused).
    static std::optional<float> leaky_slope(const float* params) { return 1.0f - params[0]; }

    // dalpha -= sum of dy * min(x, 0) (d/dalpha of ReLU_alpha is -min(x, 0)), and dx, in one
    // pass (elementwise.hpp): no branch on the sign of x, which would mispredict half the time
    // on real data (5x slower). dx may be dy itself.
    static void backward_terms(const float* params, const float* x, const float* dy, float* dx, int n,
                               double* dalpha) {
      kernels::elementwise::leaky_backward(1.0f - params[0], x, dy, dx, base::count(n), dalpha[0]);
    }
    static void add_param_gradient(float* dparams, const double* dalpha) {
      dparams[0] += static_cast<float>(dalpha[0]);
    }
  };
};

struct ReLU {
  template <std::size_t Index, Shape In>
  struct bind : detail::ElementwiseLayer<In>, detail::ActivationPasses<In, bind<Index, In>> {
    using base = detail::ElementwiseLayer<In>;
    static constexpr auto name = FixedString("ReLU");
    static constexpr std::array<ParamTensor, 0> tensors{};
    static constexpr std::size_t param_count = 0;
    static constexpr std::size_t accumulators = 0;

    static void apply(const float*, const float* x, float* y, int n) {
      std::transform(x, x + base::count(n), y, [](float v) { return std::max(v, 0.0f); });
    }
    static void backward_terms(const float*, const float* x, const float* dy, float* dx, int n, double*) {
      if (!dx) return;
      for (std::size_t i = 0; i < base::count(n); ++i) dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
    }
    static void add_param_gradient(float*, const double*) {}
  };
};

struct Identity {
  template <std::size_t Index, Shape In>
  struct bind : detail::ElementwiseLayer<In>, detail::ActivationPasses<In, bind<Index, In>> {
    using base = detail::ElementwiseLayer<In>;
    static constexpr auto name = FixedString("Identity");
    static constexpr std::array<ParamTensor, 0> tensors{};
    static constexpr std::size_t param_count = 0;
    static constexpr std::size_t accumulators = 0;

    static void apply(const float*, const float* x, float* y, int n) { std::copy(x, x + base::count(n), y); }
    static void backward_terms(const float*, const float*, const float* dy, float* dx, int n, double*) {
      if (dx && dx != dy) std::copy(dy, dy + base::count(n), dx);
    }
    static void add_param_gradient(float*, const double*) {}
  };
};

}  // namespace linconv
