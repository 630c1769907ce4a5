#pragma once
// AvgPool2d<K, Stride = K>: the mean of each K x K window (pool_window.hpp), as
// torch.nn.AvgPool2d(K, Stride) (no padding, so every window divides by K * K):
//   y = sum(window) / K^2;   dx[window] += dy / K^2   (windows may overlap when Stride < K).
#include "linconv/layers/pool_window.hpp"

namespace linconv {

template <int K, int Stride = K>
struct AvgPool2d {
  template <std::size_t Index, Shape In>
  struct bind : detail::PoolWindow<Index, In, K, Stride> {
    using window = detail::PoolWindow<Index, In, K, Stride>;
    static constexpr Shape out = window::out;
    static constexpr auto name = "AvgPool2d<" + to_fixed_string(K) + "," + to_fixed_string(Stride) + ">";
    static constexpr float area = float(K * K);

    static void forward(const LayerTensors&, Images<In> x, ImagesOut<out> y, const Context&) {
      window::for_each_window(x.n, [&](std::size_t origin, std::size_t o) {
        float sum = 0.0f;
        for (int u = 0; u < K; ++u)
          for (int v = 0; v < K; ++v) sum += x.data[origin + std::size_t(u) * In.w + std::size_t(v)];
        y.data[o] = sum / area;
      });
    }

    static void backward(const LayerTensors&, Images<In> x, Images<out>, Images<out> dy, ImagesOut<In> dx,
                         const Context&) {
      if (!dx) return;
      std::fill(dx.begin(), dx.end(), 0.0f);
      window::for_each_window(x.n, [&](std::size_t origin, std::size_t o) {
        const float share = dy.data[o] / area;
        for (int u = 0; u < K; ++u)
          for (int v = 0; v < K; ++v) dx.data[origin + std::size_t(u) * In.w + std::size_t(v)] += share;
      });
    }
  };
};

}  // namespace linconv
