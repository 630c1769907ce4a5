#pragma once
// What MaxPool2d and AvgPool2d share: a K x K window moved by Stride over each channel, no
// padding, floor mode (as torch.nn.MaxPool2d / AvgPool2d with their defaults):
//   out = {C, (H - K) / Stride + 1, (W - K) / Stride + 1}
// and the static checks of their settings.
#include <algorithm>

#include "linconv/layer.hpp"

namespace linconv {

template <std::size_t Layer, int Kernel, int Stride>
struct POOL_SETTINGS_OUT_OF_RANGE : diagnostic {};
template <std::size_t Layer, Shape Input>
struct POOL_INPUT_IS_NOT_AN_IMAGE : diagnostic {};
template <std::size_t Layer, Shape Input, int Kernel>
struct POOL_WINDOW_LARGER_THAN_INPUT : diagnostic {};

namespace detail {

template <std::size_t Index, Shape In, int K, int Stride>
struct PoolWindow : LayerBase<In> {
  static_assert(require<(K > 0 && Stride > 0), POOL_SETTINGS_OUT_OF_RANGE<Index, K, Stride>>::value,
                "a pool needs K > 0 and Stride > 0");
  static constexpr bool image = In.h > 1 || In.w > 1;
  static_assert(require<image, POOL_INPUT_IS_NOT_AN_IMAGE<Index, In>>::value,
                "a pool needs an image input {C, H, W}, not a flat vector");
  static_assert(require<!image || (K <= In.h && K <= In.w), POOL_WINDOW_LARGER_THAN_INPUT<Index, In, K>>::value,
                "the pool window is larger than its input");

  static constexpr std::string_view kind = "pool";
  // Clamped to at least 1 so that a failed check above is the only error printed.
  static constexpr Shape out{In.c, std::max(1, (In.h - K) / std::max(1, Stride) + 1),
                             std::max(1, (In.w - K) / std::max(1, Stride) + 1)};
  static constexpr std::array<ParamTensor, 0> tensors{};
  static constexpr std::size_t param_count = 0;

  // Calls f(window_origin, output_index) for every output position of n images: the window's
  // top-left element in the input and the output element, as offsets from the images' start.
  template <class F>
  static void for_each_window(int n, F&& f) {
    for (std::size_t plane = 0; plane < std::size_t(n) * In.c; ++plane)
      for (int i = 0; i < out.h; ++i)
        for (int j = 0; j < out.w; ++j)
          f(plane * In.h * In.w + std::size_t(i * Stride) * In.w + std::size_t(j * Stride),
            plane * out.h * out.w + std::size_t(i) * out.w + std::size_t(j));
  }
};

}  // namespace detail
}  // namespace linconv
