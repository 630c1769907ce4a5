#pragma once
// Flatten: {C, H, W} -> {C*H*W} in C, H, W order (torch.flatten(x, 1)). Activations are already
// stored that way, so the output aliases the input and neither pass moves data.
#include "linconv/layer.hpp"
#include "linconv/rng.hpp"

namespace linconv {

struct Flatten {
  template <std::size_t Index, Shape In>
  struct bind {
    static constexpr std::string_view kind = "flatten";
    static constexpr auto name = FixedString("Flatten");
    static constexpr Shape in = In;
    static constexpr Shape out{In.size()};
    static constexpr std::array<ParamTensor, 0> tensors{};
    static constexpr std::size_t param_count = 0;
    static constexpr std::size_t scratch_floats = 0;
    static constexpr bool in_place = true;

    static void init(float*, Rng&, const InitOptions&) {}
    static void forward(const float*, const float*, float*, int, float*) {}
    static void backward(const float*, const float*, const float*, const float*, float*, float*,
                         int, float*) {}
  };
};

}  // namespace linconv
