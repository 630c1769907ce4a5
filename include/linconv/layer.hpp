#pragma once
// What every layer shares: the descriptor of a parameter tensor, the initialisation options, the
// per-thread scratch buffer, and `require`, the helper that turns a failed static check into a
// compiler error whose type name carries the layer index and the shapes involved.
//
// A layer *spec* (Conv<8,5,1,2>, ReLUAlpha, ...) is what users write. `Spec::bind<Index, In>` is
// the layer placed in a network: it knows its input and output shapes and provides
//   static constexpr Shape in, out;             static constexpr std::string_view kind;
//   static constexpr auto name;                 (FixedString, e.g. "Conv<8,5,1,2>")
//   static constexpr std::array<ParamTensor, K> tensors;   static constexpr std::size_t param_count;
//   static constexpr std::size_t scratch_floats;           (per thread)
//   static constexpr bool in_place;             (output aliases input, e.g. Flatten)
//   static void init(float* params, Rng&, const InitOptions&);
//   static void forward(const float* params, const float* x, float* y, int n, float* scratch);
//   static void backward(const float* params, const float* x, const float* y, const float* dy,
//                        float* dx, float* dparams, int n, float* scratch);
// Activations are laid out [n, in.size()] and [n, out.size()]; backward *adds* into dparams and
// writes dx (skipped when dx is null: the first layer needs no input gradient).
#include <array>
#include <cstddef>
#include <string_view>

#include "linconv/shape.hpp"

namespace linconv {

// One parameter tensor of a layer, in PyTorch's layout: `suffix` after the layer's name
// ("weight", "bias", "alpha"), dims as PyTorch spells them, offset within the layer's parameters.
struct ParamTensor {
  std::string_view suffix;
  std::array<int, 4> dims{};
  int rank = 0;
  std::size_t offset = 0;
  constexpr std::size_t count() const {
    std::size_t n = 1;
    for (int i = 0; i < rank; ++i) n *= static_cast<std::size_t>(dims[i]);
    return n;
  }
};

struct InitOptions {
  float alpha = 0.5f;  // initial value of every learnable alpha
};

// static_assert(require<Condition, DIAGNOSTIC<Index, Shape...>>::value, "message"): when the
// condition is false the compiler prints the diagnostic's full type, numbers included.
template <bool Ok, class Diagnostic>
struct require {
  static constexpr bool value = true;
};
template <class Diagnostic>
struct require<false, Diagnostic> {
  static constexpr bool value = Diagnostic::value;
};
struct diagnostic {
  static constexpr bool value = false;
};

}  // namespace linconv
