#pragma once
// The activations of the study, all of the family
//   ReLU_alpha(x) = ReLU(x) - (1 - alpha) * ReLU(-x)  =  x (x >= 0),  (1 - alpha) * x (x < 0)
// ReLUAlpha: one learnable alpha per layer (tensor "alpha", shape [1]), initialised to
//            InitOptions::alpha;  d/dalpha = sum of dy * ReLU(-x).
// ReLU:      alpha fixed at 1;  Identity: alpha fixed at 0. Neither has a tensor.
// The derivative at x = 0 is 0 for ReLUAlpha and ReLU, as in PyTorch's autograd.
// Besides forward/backward, each has backward_terms (the input gradient, accumulating the alpha
// gradient in double) and add_param_gradient, which a fused convolution calls per image.
#include <algorithm>

#include "linconv/layer.hpp"
#include "linconv/rng.hpp"
#include "linconv/simd.hpp"

namespace linconv {

namespace detail {
// Shape-preserving layer without parameters unless stated otherwise.
template <std::size_t Index, Shape In>
struct ElementwiseLayer {
  static constexpr std::string_view kind = "act";
  static constexpr Shape in = In;
  static constexpr Shape out = In;
  static constexpr std::size_t scratch_floats = 0;
  static constexpr bool in_place = false;
  static constexpr bool is_activation = true;  // may run inside the layer before it (engine.hpp)
  static constexpr std::size_t count(int n) { return std::size_t(n) * In.size(); }
};
}  // namespace detail

struct ReLUAlpha {
  template <std::size_t Index, Shape In>
  struct bind : detail::ElementwiseLayer<Index, In> {
    using base = detail::ElementwiseLayer<Index, In>;
    static constexpr auto name = FixedString("ReLUAlpha");
    static constexpr std::array<ParamTensor, 1> tensors{{{"alpha", {1}, 1, 0}}};
    static constexpr std::size_t param_count = 1;

    static void init(float* params, Rng&, const InitOptions& options) { params[0] = options.alpha; }

    static void forward(const float* params, const float* x, float* y, int n, float*) {
      const float slope = 1.0f - params[0];
      std::transform(x, x + base::count(n), y, [slope](float v) { return v >= 0.0f ? v : slope * v; });
    }

    static void backward(const float* params, const float* x, const float*, const float* dy,
                         float* dx, float* dparams, int n, float*) {
      double dalpha = 0.0;
      for (int k = 0; k < n; ++k) {  // image by image, as the fused pass does: the same sums
        const std::size_t at = base::count(k);
        backward_terms(params, x + at, dy + at, dx ? dx + at : nullptr, 1, dalpha);
      }
      add_param_gradient(dparams, dalpha);
    }

    // dx = dy * dy/dx (dx may be dy itself, or null), and adds sum dy * ReLU(-x) to dalpha:
    // in float over blocks of 256 elements (one partial sum per vector lane, so that the loop
    // vectorises), the block sums in double. No branch depends on the sign of x (a branch there
    // mispredicts half the time on real data, 5x slower).
    static void backward_terms(const float* params, const float* x, const float* dy, float* dx, int n,
                               double& dalpha) {
      const std::size_t count = base::count(n);
      constexpr std::size_t block = 256, lanes = simd::lanes;
      for (std::size_t begin = 0; begin < count; begin += block) {  // before dx: dx may be dy
        const std::size_t size = std::min(block, count - begin), whole = size / lanes * lanes;
        const float *xs = x + begin, *dys = dy + begin;
        float lane_sums[lanes] = {};
        for (std::size_t i = 0; i < whole; i += lanes)
          for (std::size_t l = 0; l < lanes; ++l) lane_sums[l] += dys[i + l] * std::min(xs[i + l], 0.0f);
        for (std::size_t i = whole; i < size; ++i) lane_sums[0] += dys[i] * std::min(xs[i], 0.0f);
        dalpha -= simd::sum(simd::load(lane_sums));
      }
      const float slope = 1.0f - params[0];
      if (dx)
        for (std::size_t i = 0; i < count; ++i)
          dx[i] = x[i] > 0.0f ? dy[i] : (x[i] < 0.0f ? slope * dy[i] : 0.0f);
    }
    static void add_param_gradient(float* dparams, double dalpha) { dparams[0] += static_cast<float>(dalpha); }
  };
};

struct ReLU {
  template <std::size_t Index, Shape In>
  struct bind : detail::ElementwiseLayer<Index, In> {
    using base = detail::ElementwiseLayer<Index, In>;
    static constexpr auto name = FixedString("ReLU");
    static constexpr std::array<ParamTensor, 0> tensors{};
    static constexpr std::size_t param_count = 0;

    static void init(float*, Rng&, const InitOptions&) {}

    static void forward(const float*, const float* x, float* y, int n, float*) {
      std::transform(x, x + base::count(n), y, [](float v) { return std::max(v, 0.0f); });
    }

    static void backward(const float* params, const float* x, const float*, const float* dy, float* dx,
                         float*, int n, float*) {
      double unused = 0.0;
      backward_terms(params, x, dy, dx, n, unused);
    }
    static void backward_terms(const float*, const float* x, const float* dy, float* dx, int n, double&) {
      if (!dx) return;
      for (std::size_t i = 0; i < base::count(n); ++i) dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
    }
    static void add_param_gradient(float*, double) {}
  };
};

struct Identity {
  template <std::size_t Index, Shape In>
  struct bind : detail::ElementwiseLayer<Index, In> {
    using base = detail::ElementwiseLayer<Index, In>;
    static constexpr auto name = FixedString("Identity");
    static constexpr std::array<ParamTensor, 0> tensors{};
    static constexpr std::size_t param_count = 0;

    static void init(float*, Rng&, const InitOptions&) {}

    static void forward(const float*, const float* x, float* y, int n, float*) {
      std::copy(x, x + base::count(n), y);
    }

    static void backward(const float* params, const float* x, const float*, const float* dy, float* dx,
                         float*, int n, float*) {
      double unused = 0.0;
      backward_terms(params, x, dy, dx, n, unused);
    }
    static void backward_terms(const float*, const float*, const float* dy, float* dx, int n, double&) {
      if (dx && dx != dy) std::copy(dy, dy + base::count(n), dx);
    }
    static void add_param_gradient(float*, double) {}
  };
};

}  // namespace linconv
