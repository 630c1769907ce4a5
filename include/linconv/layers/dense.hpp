#pragma once
// Dense<N>: fully connected layer (torch.nn.Linear) on a flat input {In}:
//   y[j] = b[j] + sum_i W[j, i] * x[i]
// Parameters (PyTorch's): weight [N, In] then bias [N], both U(-1/sqrt(In), 1/sqrt(In)).
// An image input must be flattened first: Dense does not guess the order.
#include <cmath>

#include "linconv/dense_kernels.hpp"
#include "linconv/layer.hpp"
#include "linconv/rng.hpp"

namespace linconv {

template <std::size_t Layer, Shape Input>
struct DENSE_NEEDS_FLATTEN_BEFORE_IT : diagnostic {};
template <std::size_t Layer, int Outputs>
struct DENSE_OUTPUTS_OUT_OF_RANGE : diagnostic {};

template <int N>
struct Dense {
  template <std::size_t Index, Shape In>
  struct bind : LayerBase<In> {
    static_assert(require<(N > 0), DENSE_OUTPUTS_OUT_OF_RANGE<Index, N>>::value,
                  "Dense<N> needs N > 0");
    static_assert(require<(In.h == 1 && In.w == 1), DENSE_NEEDS_FLATTEN_BEFORE_IT<Index, In>>::value,
                  "Dense needs a flat input {N}: put Flatten before it");

    static constexpr std::string_view kind = "fc";
    static constexpr auto name = "Dense<" + to_fixed_string(N) + ">";
    static constexpr Shape out{N};
    static constexpr std::size_t weight_count = std::size_t(N) * In.size();
    static constexpr std::array<ParamTensor, 2> tensors{{
        {"weight", {N, In.size()}, 2, 0},
        {"bias", {N}, 1, weight_count},
    }};
    static constexpr std::size_t param_count = weight_count + N;

    static void init(const InitTensors& t, Rng& rng, const InitOptions&) {
      const float bound = 1.0f / std::sqrt(static_cast<float>(In.size()));
      for (std::size_t i = 0; i < param_count; ++i) t.params[i] = rng.uniform(-bound, bound);
    }

    static void forward(const LayerTensors& t, Images<In> x, ImagesOut<out> y, const Context&) {
      kernels::dense::forward<In.size(), N>(x.data, t.params, t.params + weight_count, y.data, x.n);
    }

    static void backward(const LayerTensors& t, Images<In> x, Images<out>, Images<out> dy, ImagesOut<In> dx,
                         const Context&) {
      kernels::dense::backward<In.size(), N>(x.data, t.params, dy.data, dx.data, t.dparams,
                                             t.dparams + weight_count, x.n);
    }
  };
};

}  // namespace linconv
