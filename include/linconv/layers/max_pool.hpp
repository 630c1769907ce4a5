#pragma once
// MaxPool2d<K, Stride = K>: the largest value of each K x K window (pool_window.hpp), as
// torch.nn.MaxPool2d(K, Stride). Of equal values the first in row-major order wins, as in
// PyTorch, and a NaN wins over numbers. The gradient flows to that element only:
//   dx[argmax of window] += dy[window]   (windows may overlap when Stride < K).
// The backward pass finds the argmax again from x rather than keeping indices.
#include <cmath>
#include <limits>

#include "linconv/layers/pool_window.hpp"

namespace linconv {

template <int K, int Stride = K>
struct MaxPool2d {
  template <std::size_t Index, Shape In>
  struct bind : detail::PoolWindow<Index, In, K, Stride> {
    using window = detail::PoolWindow<Index, In, K, Stride>;
    static constexpr Shape out = window::out;
    static constexpr auto name = "MaxPool2d<" + to_fixed_string(K) + "," + to_fixed_string(Stride) + ">";

    static void forward(const LayerTensors&, Images<In> x, ImagesOut<out> y, const Context&) {
      window::for_each_window(x.n, [&](std::size_t origin, std::size_t o) { y.data[o] = x.data[argmax(x.data + origin) + origin]; });
    }

    static void backward(const LayerTensors&, Images<In> x, Images<out>, Images<out> dy, ImagesOut<In> dx,
                         const Context&) {
      if (!dx) return;
      std::fill(dx.begin(), dx.end(), 0.0f);
      window::for_each_window(x.n, [&](std::size_t origin, std::size_t o) { dx.data[origin + argmax(x.data + origin)] += dy.data[o]; });
    }

   private:
    // The offset, from its top-left element, of the window's maximum (PyTorch's rule).
    static std::size_t argmax(const float* window_origin) {
      float best = -std::numeric_limits<float>::infinity();
      std::size_t at = 0;
      for (int u = 0; u < K; ++u)
        for (int v = 0; v < K; ++v) {
          const std::size_t offset = std::size_t(u) * In.w + std::size_t(v);
          const float value = window_origin[offset];
          if (value > best || std::isnan(value)) {
            best = value;
            at = offset;
          }
        }
      return at;
    }
  };
};

}  // namespace linconv
