#pragma once
// Flatten: {C, H, W} -> {C*H*W} in C, H, W order (torch.flatten(x, 1)). Activations are already
// stored that way, so in a network the output aliases the input and neither pass moves data;
// given separate buffers (a layer test), it copies.
#include <algorithm>

#include "linconv/layer.hpp"

namespace linconv {

struct Flatten {
  template <std::size_t Index, Shape In>
  struct bind : LayerBase<In> {
    static constexpr std::string_view kind = "flatten";
    static constexpr auto name = FixedString("Flatten");
    static constexpr Shape out{In.size()};
    static constexpr std::array<ParamTensor, 0> tensors{};
    static constexpr std::size_t param_count = 0;
    static constexpr bool in_place = true;

    static void forward(const LayerTensors&, Images<In> x, ImagesOut<out> y, const Context&) {
      if (y.data != x.data) std::copy(x.begin(), x.end(), y.data);
    }
    static void backward(const LayerTensors&, Images<In>, Images<out>, Images<out> dy, ImagesOut<In> dx,
                         const Context&) {
      if (dx && dx.data != dy.data) std::copy(dy.begin(), dy.end(), dx.data);
    }
  };
};

}  // namespace linconv
