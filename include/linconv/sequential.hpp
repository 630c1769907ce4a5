#pragma once
// Sequential<Input<C,H,W>, Layer...>: a network as one flat list of layer specs. Each spec states
// only its own output settings; the input shape of every layer is derived from Input onward, and
// everything about the network is known at compile time: shapes after each layer, parameter
// offsets and tensors with their PyTorch names, the activation arena layout, the canonical
// architecture string and its hash. The static checks of each layer fire while binding, with the
// layer's index in the diagnostic's type name.
#include <algorithm>
#include <array>
#include <boost/hana.hpp>
#include <string>
#include <type_traits>

#include "linconv/layer.hpp"

namespace linconv {

template <int C, int H, int W>
struct Input {
  static constexpr Shape shape{C, H, W};
  static constexpr auto name =
      "Input<" + to_fixed_string(C) + "," + to_fixed_string(H) + "," + to_fixed_string(W) + ">";
};

template <class First>
struct SEQUENTIAL_MUST_START_WITH_INPUT : diagnostic {};
template <Shape Input>
struct INPUT_SHAPE_OUT_OF_RANGE : diagnostic {};
template <Shape Expected, Shape Given>
struct INPUT_SHAPE_MISMATCH : diagnostic {};

// A tensor placed in a network: its layer, kind and number ("conv", 2), and its offset in the
// arena of its role and dtype (parameters, F32 buffers or I64 buffers; params.hpp).
enum class TensorRole { parameter, buffer };
struct NetTensor {
  std::size_t layer = 0;
  std::string_view kind;
  int kind_number = 0;
  ParamTensor tensor;
  std::size_t offset = 0;
  TensorRole role = TensorRole::parameter;
  std::string name() const {
    return std::string(kind) + std::to_string(kind_number) + "." + std::string(tensor.suffix);
  }
};

namespace detail {

template <class T>
struct input_of {
  static constexpr bool is_input = false;
  static constexpr Shape shape{1, 1, 1};
  static constexpr auto name = FixedString("?");
};
template <int C, int H, int W>
struct input_of<Input<C, H, W>> {
  static constexpr bool is_input = true;
  static constexpr Shape shape{C, H, W};
  static constexpr auto name = Input<C, H, W>::name;
};

template <class... Bound>
struct BoundLayers {};

// Layers that can run the activation after them in their own pass, and activations.
template <class L>
constexpr bool fuses_activation = requires { requires L::fuses_activation; };
template <class L>
constexpr bool is_activation = requires { requires L::is_activation; };

// Binds the specs one after another, each to the output shape of the previous one.
template <std::size_t I, Shape In, class Done, class... Rest>
struct bind_all {
  using type = Done;
};
template <std::size_t I, Shape In, class... Done, class Spec, class... Rest>
struct bind_all<I, In, BoundLayers<Done...>, Spec, Rest...> {
  using bound = typename Spec::template bind<I, In>;
  static_assert(check_layer_contract<I, bound>());  // its own diagnostics name what is missing
  using type = typename bind_all<I + 1, bound::out, BoundLayers<Done..., bound>, Rest...>::type;
};

template <std::size_t N>
constexpr std::array<std::size_t, N + 1> exclusive_scan(const std::array<std::size_t, N>& counts) {
  std::array<std::size_t, N + 1> offsets{};
  for (std::size_t i = 0; i < N; ++i) offsets[i + 1] = offsets[i] + counts[i];
  return offsets;
}

// The number of each layer among the layers of its kind, from 1 ("conv", "conv", "act": 1, 2, 1).
template <std::size_t N>
constexpr std::array<int, N> number_kinds(const std::array<std::string_view, N>& kinds) {
  std::array<int, N> numbers{};
  for (std::size_t i = 0; i < N; ++i) {
    numbers[i] = 1;
    for (std::size_t j = 0; j < i; ++j) numbers[i] += kinds[j] == kinds[i];
  }
  return numbers;
}

// Everything derived from the bound layers B... of a network with input shape In.
template <class InputSpec, class Bound>
struct Graph;
template <class InputSpec, class... B>
struct Graph<InputSpec, BoundLayers<B...>> {
  static constexpr std::size_t layer_count = sizeof...(B);
  static constexpr auto layer_types = boost::hana::tuple_t<B...>;

  // The I-th layer (0-based, Input not counted), bound to its input shape.
  template <std::size_t I>
  using layer = typename decltype(+boost::hana::at_c<I>(layer_types))::type;

  static constexpr Shape input_shape = input_of<InputSpec>::shape;

  // shapes[0] is the input, shapes[i + 1] the output of layer i.
  static constexpr std::array<Shape, layer_count + 1> shapes{input_shape, B::out...};
  static constexpr Shape output_shape = shapes[layer_count];

  static constexpr std::array<std::size_t, layer_count + 1> param_offsets =
      exclusive_scan(std::array<std::size_t, layer_count>{B::param_count...});
  static constexpr std::size_t param_count = param_offsets[layer_count];
  static constexpr std::array<bool, layer_count> in_place{B::in_place...};
  // fused_with_next[i]: layer i computes layer i + 1 (an activation) in the same pass over each
  // image (engine.hpp); the activation's own forward and backward are then not called.
  static constexpr std::array<bool, layer_count> fused_with_next = [] {
    constexpr std::array<bool, layer_count> fuses{fuses_activation<B>...}, activation{is_activation<B>...};
    std::array<bool, layer_count> fused{};
    for (std::size_t i = 0; i + 1 < layer_count; ++i) fused[i] = fuses[i] && activation[i + 1];
    return fused;
  }();
  static constexpr bool fused_into_previous(std::size_t i) { return i > 0 && fused_with_next[i - 1]; }

  // Per-image offsets of each layer's output in the activation arena (activations[0]: the input).
  // A layer computed in place shares its input's slot.
  static constexpr std::array<std::size_t, layer_count + 1> activation_offsets = [] {
    std::array<std::size_t, layer_count + 1> offsets{};
    std::size_t end = std::size_t(input_shape.size());
    for (std::size_t i = 0; i < layer_count; ++i) {
      offsets[i + 1] = in_place[i] ? offsets[i] : end;
      if (!in_place[i]) end += std::size_t(shapes[i + 1].size());
    }
    return offsets;
  }();
  static constexpr std::size_t activation_floats = [] {
    std::size_t end = 0;
    for (std::size_t i = 0; i <= layer_count; ++i)
      end = std::max(end, activation_offsets[i] + std::size_t(shapes[i].size()));
    return end;
  }();
  static constexpr std::size_t max_layer_floats = [] {
    std::size_t m = 0;
    for (const Shape& s : shapes) m = std::max(m, std::size_t(s.size()));
    return m;
  }();
  static constexpr std::size_t scratch_floats = std::max({std::size_t(0), B::scratch_floats...});

  // Tensors named <kind><n>.<suffix>, n counting layers of the same kind from 1: the
  // parameters (trained) and the buffers (saved, never trained), each in network order.
  static constexpr std::size_t tensor_count = (std::size_t(0) + ... + B::tensors.size());
  static constexpr std::size_t buffer_tensor_count = (std::size_t(0) + ... + B::buffers.size());
  static constexpr std::array<std::size_t, layer_count + 1> buffer_offsets =
      exclusive_scan(std::array<std::size_t, layer_count>{B::buffer_floats...});
  static constexpr std::size_t buffer_floats = buffer_offsets[layer_count];
  static constexpr std::array<std::size_t, layer_count + 1> counter_offsets =
      exclusive_scan(std::array<std::size_t, layer_count>{B::counter_count...});
  static constexpr std::size_t counter_count = counter_offsets[layer_count];

  static constexpr std::array<int, layer_count> kind_number =
      number_kinds(std::array<std::string_view, layer_count>{B::kind...});
  static constexpr std::array<NetTensor, tensor_count> tensors = [] {
    std::array<NetTensor, tensor_count> all{};
    std::size_t next = 0, layer = 0;
    auto add = [&](std::string_view kind, const auto& layer_tensors) {
      for (const ParamTensor& t : layer_tensors)
        all[next++] = NetTensor{layer, kind, kind_number[layer], t, param_offsets[layer] + t.offset};
      ++layer;
    };
    (add(B::kind, B::tensors), ...);
    return all;
  }();
  static constexpr std::array<NetTensor, buffer_tensor_count> buffer_tensors = [] {
    std::array<NetTensor, buffer_tensor_count> all{};
    std::size_t next = 0, layer = 0;
    auto add = [&](std::string_view kind, const auto& layer_buffers) {
      for (const ParamTensor& t : layer_buffers)
        all[next++] = NetTensor{layer, kind, kind_number[layer], t,
                                (t.integer ? counter_offsets[layer] : buffer_offsets[layer]) + t.offset,
                                TensorRole::buffer};
      ++layer;
    };
    (add(B::kind, B::buffers), ...);
    return all;
  }();

  // Per-thread memory kept by each layer from its forward pass to its backward pass.
  static constexpr std::array<std::size_t, layer_count + 1> saved_offsets =
      exclusive_scan(std::array<std::size_t, layer_count>{B::saved_floats...});
  static constexpr std::size_t saved_floats = saved_offsets[layer_count];
  // The most doubles a layer sums over the whole batch at once (Team).
  static constexpr std::size_t team_values = std::max({std::size_t(0), B::team_values...});
  // Whether any layer couples the images of a batch (its threads then meet there).
  static constexpr bool batch_coupled = team_values > 0;

  static constexpr auto architecture = (input_of<InputSpec>::name + ... + ("," + B::name));
  static constexpr std::uint64_t architecture_hash = fnv1a(architecture.view());
};

}  // namespace detail

template <class InputSpec, class... Specs>
struct Sequential
    : detail::Graph<InputSpec, typename detail::bind_all<0, detail::input_of<InputSpec>::shape,
                                                         detail::BoundLayers<>, Specs...>::type> {
  static_assert(require<detail::input_of<InputSpec>::is_input,
                        SEQUENTIAL_MUST_START_WITH_INPUT<InputSpec>>::value,
                "Sequential<...> must start with Input<C, H, W>");
  static constexpr Shape declared_input = detail::input_of<InputSpec>::shape;
  static_assert(require<(declared_input.c > 0 && declared_input.h > 0 && declared_input.w > 0),
                        INPUT_SHAPE_OUT_OF_RANGE<declared_input>>::value,
                "Input<C, H, W> needs C, H, W > 0");

  template <std::size_t I>
  static constexpr Shape shape_after = Sequential::shapes[I + 1];

  // Calls f(hana::size_c<I>) for every layer, first to last / last to first.
  template <class F>
  static constexpr void for_each_layer(F&& f) {
    boost::hana::for_each(boost::hana::make_range(boost::hana::size_c<0>,
                                                  boost::hana::size_c<sizeof...(Specs)>), f);
  }
  template <class F>
  static constexpr void for_each_layer_reversed(F&& f) {
    boost::hana::for_each(boost::hana::reverse(boost::hana::to_tuple(boost::hana::make_range(
                              boost::hana::size_c<0>, boost::hana::size_c<sizeof...(Specs)>))),
                          f);
  }
};

// The compile-time check that data of shape Given is fed to a network expecting Expected.
template <Shape Expected, Shape Given>
constexpr void check_input_shape() {
  static_assert(require<Expected == Given, INPUT_SHAPE_MISMATCH<Expected, Given>>::value,
                "the images passed to the network do not have its input shape");
}

}  // namespace linconv
