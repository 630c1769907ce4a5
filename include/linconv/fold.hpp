#pragma once
// Folding what training made linear.
//
// An alpha of 0 makes ReLU_alpha the identity and an alpha of 1 makes it ReLU. Snapping replaces
// each ReLUAlpha whose alpha is within eps of 0 or 1 by Identity or ReLU (fixed activations
// without a tensor). After that, every layer behind the last remaining non-linearity is a linear
// map (Conv, Identity, Flatten, Dense; zero padding is linear too), and linear maps compose:
// that suffix is one affine map x -> W x + b from the suffix's input to the logits, which one
// Dense computes exactly (up to float rounding). A network whose alphas all reach 0 is one
// 784 -> 10 map.
//
// The folded network is a type computed from Net and the snap pattern (one Snap per ReLUAlpha,
// in network order): Folded<Net, pattern>. Every pattern's type exists at compile time;
// with_snap_pattern picks the one a checkpoint's alphas call for at run time.
//
// The weights of the folded Dense come from the suffix's own layers: row o of W is the gradient
// of logit o with respect to the suffix's input (one backward pass of the unit vector e_o
// through the linear layers), and b is the suffix applied to zeros. So folding costs Out
// backward passes and one forward pass, whatever the input size.
#include <array>
#include <boost/hana.hpp>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "linconv/error.hpp"
#include "linconv/layers/activation.hpp"
#include "linconv/layers/conv.hpp"
#include "linconv/layers/dense.hpp"
#include "linconv/layers/flatten.hpp"
#include "linconv/params.hpp"
#include "linconv/sequential.hpp"

namespace linconv {

// What snapping makes of one ReLUAlpha.
enum class Snap : std::uint8_t { keep, identity, relu };

constexpr std::string_view snap_name(Snap s) {
  return s == Snap::keep ? "ReLUAlpha" : (s == Snap::identity ? "Identity" : "ReLU");
}

namespace detail {

template <class Spec, Snap S>
struct snap_spec {
  using type = Spec;
};
template <>
struct snap_spec<ReLUAlpha, Snap::identity> {
  using type = Identity;
};
template <>
struct snap_spec<ReLUAlpha, Snap::relu> {
  using type = ReLU;
};

// Specs that are linear maps, and may be folded. Inline: an explicit specialisation is a
// variable of its own, defined in every file that includes this one (Clang's linker refused the
// duplicates; g++ happened to keep them local).
template <class Spec>
inline constexpr bool linear_spec = false;
template <int O, int K, int S, int P>
inline constexpr bool linear_spec<Conv<O, K, S, P>> = true;
template <int N>
inline constexpr bool linear_spec<Dense<N>> = true;
template <>
inline constexpr bool linear_spec<Flatten> = true;
template <>
inline constexpr bool linear_spec<Identity> = true;

template <class Net>
struct net_specs;
template <class InputSpec, class... Specs>
struct net_specs<Sequential<InputSpec, Specs...>> {
  using input = InputSpec;
  static constexpr auto specs = boost::hana::tuple_t<Specs...>;
  static constexpr std::size_t count = sizeof...(Specs);
  // Each spec's position among the ReLUAlpha specs, -1 for the others.
  static constexpr std::array<int, count> alpha_positions = [] {
    std::array<int, count> positions{};
    int next = 0;
    std::size_t i = 0;
    ((positions[i++] = std::is_same_v<Specs, ReLUAlpha> ? next++ : -1), ...);
    return positions;
  }();
  static constexpr std::size_t alpha_count = (std::size_t(0) + ... + std::is_same_v<Specs, ReLUAlpha>);
};

}  // namespace detail

// The number of ReLUAlpha layers of Net, and so the length of its snap patterns.
template <class Net>
constexpr std::size_t snap_count = detail::net_specs<Net>::alpha_count;

template <class Net>
using SnapPattern = std::array<Snap, snap_count<Net>>;

// Net after snapping and folding, as types and numbers known at compile time.
template <class Net, SnapPattern<Net> Pattern>
struct Folding {
  using specs_of = detail::net_specs<Net>;
  static constexpr std::size_t count = specs_of::count;

  template <std::size_t I>
  using original_spec = typename decltype(+boost::hana::at_c<I>(specs_of::specs))::type;
  template <std::size_t I>
  static constexpr Snap snap_of = specs_of::alpha_positions[I] < 0 ? Snap::keep : Pattern[std::size_t(specs_of::alpha_positions[I])];
  template <std::size_t I>
  using snapped_spec = typename detail::snap_spec<original_spec<I>, snap_of<I>>::type;

  // The layers [kept, count) are linear after snapping: they fold into one Dense.
  static constexpr std::size_t kept = [] {
    std::size_t k = 0;
    boost::hana::for_each(boost::hana::make_range(boost::hana::size_c<0>, boost::hana::size_c<count>), [&](auto i) {
      if (!detail::linear_spec<snapped_spec<decltype(i)::value>>) k = decltype(i)::value + 1;
    });
    return k;
  }();
  static constexpr Shape suffix_input = Net::shapes[kept];
  static constexpr int outputs = Net::output_shape.size();
  static constexpr bool needs_flatten = suffix_input.h != 1 || suffix_input.w != 1;

  // Sequential<Input, snapped specs [0, kept), Flatten (when the suffix takes an image), Dense<outputs>>;
  // a network that ends in a non-linearity has no suffix and is only snapped.
  static constexpr auto folded_type = [] {
    namespace hana = boost::hana;
    const auto prefix = hana::transform(hana::to_tuple(hana::make_range(hana::size_c<0>, hana::size_c<kept>)),
                                        [](auto i) { return hana::type_c<snapped_spec<decltype(i)::value>>; });
    const auto tail = [] {
      if constexpr (kept == count)
        return hana::tuple_t<>;
      else if constexpr (needs_flatten)
        return hana::tuple_t<Flatten, Dense<outputs>>;
      else
        return hana::tuple_t<Dense<outputs>>;
    }();
    return hana::unpack(hana::prepend(hana::concat(prefix, tail), hana::type_c<typename specs_of::input>),
                        hana::template_<Sequential>);
  }();
  using type = typename decltype(folded_type)::type;
  static_assert(type::output_shape == Net::output_shape);
};

// The folded network of Net for a snap pattern.
template <class Net, SnapPattern<Net> Pattern>
using Folded = typename Folding<Net, Pattern>::type;

// The snap pattern of a network's alphas: within eps of 0 -> identity, of 1 -> relu.
template <class Net>
SnapPattern<Net> snap_pattern(const Params<Net>& params, float eps) {
  SnapPattern<Net> pattern{};
  std::size_t k = 0;
  for (const NetTensor& t : alpha_tensors<Net>()) {
    if (t.tensor.count() != 1) continue;  // per-channel alphas are not snapped
    const float alpha = params.values()[t.offset];
    pattern[k++] = std::abs(alpha) <= eps ? Snap::identity : (std::abs(alpha - 1.0f) <= eps ? Snap::relu : Snap::keep);
  }
  return pattern;
}

// The alpha tensors a pattern snaps, each with the value its activation now has for every
// input: "act1.alpha" 0 (identity) or 1 (ReLU).
template <class Net>
std::vector<std::pair<std::string, float>> snapped_alphas(const SnapPattern<Net>& pattern) {
  std::vector<std::pair<std::string, float>> snapped;
  std::size_t k = 0;
  for (const NetTensor& t : alpha_tensors<Net>()) {
    if (t.tensor.count() != 1) continue;
    const Snap s = pattern[k++];
    if (s != Snap::keep) snapped.emplace_back(t.name(), s == Snap::identity ? 0.0f : 1.0f);
  }
  return snapped;
}

// Net's parameters with each alpha the pattern snaps set exactly to 0 or 1: the unfolded network
// that Folded<Net, pattern> computes.
template <class Net>
Params<Net> snapped(Params<Net> params, const SnapPattern<Net>& pattern) {
  for (const auto& [name, value] : snapped_alphas<Net>(pattern))
    for (const NetTensor& t : alpha_tensors<Net>())
      if (t.name() == name) params.values()[t.offset] = value;
  return params;
}

// Snap patterns numbered in base 3, the first activation's Snap as the lowest digit: 0 is all
// keep, snap_pattern_count<Net> - 1 all relu.
template <class Net>
constexpr std::size_t snap_pattern_count = [] {
  std::size_t p = 1;
  for (std::size_t i = 0; i < snap_count<Net>; ++i) p *= 3;
  return p;
}();

template <class Net>
constexpr SnapPattern<Net> snap_pattern_number(std::size_t number) {
  SnapPattern<Net> pattern{};
  for (std::size_t i = 0; i < snap_count<Net>; ++i, number /= 3) pattern[i] = Snap(number % 3);
  return pattern;
}

template <class Net>
constexpr std::size_t snap_pattern_index(const SnapPattern<Net>& pattern) {
  std::size_t number = 0;
  for (std::size_t i = snap_count<Net>; i-- > 0;) number = number * 3 + std::size_t(pattern[i]);
  return number;
}

// Calls f.template operator()<Pattern>() with the compile-time pattern equal to `pattern`:
// one instantiation per possible pattern (3^snap_count), one of them taken.
template <class Net, class F>
decltype(auto) with_snap_pattern(const SnapPattern<Net>& pattern, F&& f) {
  const std::size_t index = snap_pattern_index<Net>(pattern);
  using Result = decltype(f.template operator()<SnapPattern<Net>{}>());
  auto dispatch = [&]<std::size_t... P>(std::index_sequence<P...>) -> Result {
    if constexpr (std::is_void_v<Result>) {
      ((index == P ? (f.template operator()<snap_pattern_number<Net>(P)>(), true) : false) || ...);
    } else {
      Result result{};
      ((index == P ? (result = f.template operator()<snap_pattern_number<Net>(P)>(), true) : false) || ...);
      return result;
    }
  };
  return dispatch(std::make_index_sequence<snap_pattern_count<Net>>{});
}

// The parameters of Folded<Net, Pattern> from those of Net: the kept layers' tensors as they
// are (a snapped alpha's tensor goes), then the folded Dense's W and b.
template <class Net, SnapPattern<Net> Pattern>
Params<Folded<Net, Pattern>> fold(const Params<Net>& params) {
  using F = Folding<Net, Pattern>;
  using Out = typename F::type;
  Params<Out> folded;
  // The kept layers: layer i of Out is layer i of Net, snapped.
  boost::hana::for_each(boost::hana::make_range(boost::hana::size_c<0>, boost::hana::size_c<F::kept>), [&](auto index) {
    constexpr std::size_t i = decltype(index)::value;
    using Kept = typename Out::template layer<i>;
    if constexpr (Kept::param_count == Net::template layer<i>::param_count)
      std::copy_n(params.values().begin() + std::ptrdiff_t(Net::param_offsets[i]), Kept::param_count,
                  folded.values().begin() + std::ptrdiff_t(Out::param_offsets[i]));
    std::copy_n(params.buffers().begin() + std::ptrdiff_t(Net::buffer_offsets[i]), Kept::buffer_floats,
                folded.buffers().begin() + std::ptrdiff_t(Out::buffer_offsets[i]));
    std::copy_n(params.counters().begin() + std::ptrdiff_t(Net::counter_offsets[i]), Kept::counter_count,
                folded.counters().begin() + std::ptrdiff_t(Out::counter_offsets[i]));
  });

  if constexpr (F::kept < Net::layer_count) {
    // The suffix [kept, layer_count) of Net, its activations skipped (snapped to the identity).
    constexpr std::size_t inputs = std::size_t(F::suffix_input.size()), outputs = std::size_t(F::outputs);
    std::vector<float> a(Net::max_layer_floats), b(Net::max_layer_floats), zeros(Net::max_layer_floats, 0.0f);
    std::vector<float> unused_dparams(Net::param_count), scratch(Net::scratch_floats + 1);
    const Context context{Mode::evaluation, 0, nullptr, scratch.data(), nullptr};
    auto tensors = [&](std::size_t i) {
      return LayerTensors{params.values().data() + Net::param_offsets[i], unused_dparams.data() + Net::param_offsets[i],
                          params.buffers().data() + Net::buffer_offsets[i],
                          params.counters().data() + Net::counter_offsets[i]};
    };
    auto suffix = boost::hana::to_tuple(
        boost::hana::make_range(boost::hana::size_c<F::kept>, boost::hana::size_c<Net::layer_count>));

    float* weight = folded.values().data() + Out::param_offsets[Out::layer_count - 1];
    float* bias = weight + outputs * inputs;
    // Row o of W: e_o backward through the suffix.
    for (std::size_t o = 0; o < outputs; ++o) {
      std::fill(a.begin(), a.end(), 0.0f);
      a[o] = 1.0f;
      boost::hana::for_each(boost::hana::reverse(suffix), [&](auto index) {
        constexpr std::size_t i = decltype(index)::value;
        using L = typename Net::template layer<i>;
        if constexpr (detail::is_activation<L>) {
          return;
        } else if constexpr (requires { L::input_gradient; }) {  // a convolution: its input gradient alone
          L::input_gradient(tensors(i), Images<L::in>{zeros.data(), 1}, Images<L::out>{a.data(), 1},
                            ImagesOut<L::in>{b.data(), 1}, context);
          std::swap(a, b);
        } else {
          L::backward(tensors(i), Images<L::in>{zeros.data(), 1}, Images<L::out>{zeros.data(), 1},
                      Images<L::out>{a.data(), 1}, ImagesOut<L::in>{b.data(), 1}, context);
          std::swap(a, b);
        }
      });
      std::copy_n(a.begin(), inputs, weight + o * inputs);
    }
    // b: the suffix applied to zeros.
    std::fill(a.begin(), a.end(), 0.0f);
    boost::hana::for_each(suffix, [&](auto index) {
      constexpr std::size_t i = decltype(index)::value;
      using L = typename Net::template layer<i>;
      if constexpr (!detail::is_activation<L>) {
        L::forward(tensors(i), Images<L::in>{a.data(), 1}, ImagesOut<L::out>{b.data(), 1}, context);
        std::swap(a, b);
      }
    });
    std::copy_n(a.begin(), outputs, bias);
  }
  return folded;
}

// Floating-point operations of one image's forward pass: 2 per multiply-add of the
// convolutions and dense layers (bias additions included), 1 per element of every other layer
// (activations, batch norm, pools; Flatten moves nothing).
template <class Net>
constexpr double flops_per_image() {
  double flops = 0.0;
  boost::hana::for_each(boost::hana::make_range(boost::hana::size_c<0>, boost::hana::size_c<Net::layer_count>),
                        [&](auto index) {
                          using L = typename Net::template layer<decltype(index)::value>;
                          if constexpr (L::kind == "conv" || L::kind == "fc")
                            flops += 2.0 * double(L::out.size()) * double(L::param_count / std::size_t(L::out.c));
                          else if constexpr (!L::in_place)
                            flops += double(L::out.size());
                        });
  return flops;
}

// The layers of Net that a pattern folds into the folded network's last Dense, named as their
// tensors are ("conv3", "act3", "flatten1", "fc1"); none when the network ends in a non-linearity.
template <class Net, SnapPattern<Net> Pattern>
std::vector<std::string> folded_layers() {
  std::vector<std::string> names;
  boost::hana::for_each(
      boost::hana::make_range(boost::hana::size_c<Folding<Net, Pattern>::kept>, boost::hana::size_c<Net::layer_count>),
      [&](auto index) {
        constexpr std::size_t i = decltype(index)::value;
        names.push_back(std::string(Net::template layer<i>::kind) + std::to_string(Net::kind_number[i]));
      });
  return names;
}

// "conv3", "conv2+conv3", "all": which convolutions a pattern folds away, for names and reports.
template <class Net, SnapPattern<Net> Pattern>
std::string folded_convolutions() {
  using F = Folding<Net, Pattern>;
  std::string names;
  int convs = 0, folded_convs = 0;
  boost::hana::for_each(boost::hana::make_range(boost::hana::size_c<0>, boost::hana::size_c<F::count>), [&](auto index) {
    constexpr std::size_t i = decltype(index)::value;
    if constexpr (Net::template layer<i>::kind == "conv") {
      ++convs;
      if (i >= F::kept) {
        names += (names.empty() ? "conv" : "+conv") + std::to_string(Net::kind_number[i]);
        ++folded_convs;
      }
    }
  });
  if (folded_convs == 0) return "none";
  return folded_convs == convs ? "all" : names;
}


// Merging convolutions (`linconv fold --merge-convs`).
//
// Two stride-1 convolutions with the identity between them are one convolution. In
// cross-correlation form (as Conv computes it), with conv1 = (W1, b1, K1, P1), conv2 = (W2, b2,
// K2, P2):
//   y2[o, q] = b2[o] + sum_{m, v} W2[o, m, v] y1[m, q + v - P2]
//            = b2[o] + sum_{m, v} W2[o, m, v] b1[m] + sum_{i, t} W[o, i, t] x[i, q + t - (P1 + P2)]
// (q, v, t are 2-D offsets), so the merged convolution has kernel K1 + K2 - 1, padding P1 + P2,
//   W[o, i, t] = sum_m sum_{u + v = t} W2[o, m, v] W1[m, i, u]   (the full convolution of the kernels)
//   b[o]       = b2[o] + sum_m b1[m] sum_v W2[o, m, v].
// The one difference is the zero padding: conv2 reads zeros where its window leaves y1 (the
// outer P2 rows and columns of its output, for a "same" conv2), where the merged convolution
// reads conv1's value there (b1 plus whatever of x the window reaches). So outputs agree exactly
// (up to float rounding) except within that ring.
//
// The merged network is a type: each Conv<C1, K1, 1, P1>, Identity, Conv<C2, K2, 1, P2> of the
// network with every ReLUAlpha snapped to the identity becomes Conv<C2, K1 + K2 - 1, 1, P1 + P2>,
// from left to right, so a chain of three convolutions becomes one. Only that form (every alpha
// snapped to 0) is compiled by the CLI, to keep the forms, and the compile time, few.
namespace detail {

template <class... Specs>
struct spec_list {};

template <class Done, class Rest>
struct merge_convs_step;
template <class... Done>
struct merge_convs_step<spec_list<Done...>, spec_list<>> {
  using type = spec_list<Done...>;
};
template <class... Done, int C1, int K1, int P1, int C2, int K2, int P2, class... Rest>
struct merge_convs_step<spec_list<Done...>, spec_list<Conv<C1, K1, 1, P1>, Identity, Conv<C2, K2, 1, P2>, Rest...>>
    : merge_convs_step<spec_list<Done...>, spec_list<Conv<C2, K1 + K2 - 1, 1, P1 + P2>, Rest...>> {};
template <class... Done, class Spec, class... Rest>
struct merge_convs_step<spec_list<Done...>, spec_list<Spec, Rest...>>
    : merge_convs_step<spec_list<Done..., Spec>, spec_list<Rest...>> {};

template <class InputSpec, class List>
struct sequential_of;
template <class InputSpec, class... Specs>
struct sequential_of<InputSpec, spec_list<Specs...>> {
  using type = Sequential<InputSpec, Specs...>;
};

template <class Net>
struct conv_merging;
template <class InputSpec, class... Specs>
struct conv_merging<Sequential<InputSpec, Specs...>> {
  using snapped = Sequential<InputSpec, typename snap_spec<Specs, Snap::identity>::type...>;
  using type = typename sequential_of<
      InputSpec, typename merge_convs_step<spec_list<>, spec_list<typename snap_spec<Specs, Snap::identity>::type...>>::type>::type;
};

template <class Spec>
inline constexpr bool stride1_conv_spec = false;
template <int O, int K, int P>
inline constexpr bool stride1_conv_spec<Conv<O, K, 1, P>> = true;

// Spec I of Net with every ReLUAlpha snapped to the identity.
template <class Net, std::size_t I>
using identity_snapped_spec =
    typename snap_spec<typename decltype(+boost::hana::at_c<I>(net_specs<Net>::specs))::type, Snap::identity>::type;

// Whether layer I of Net is a stride-1 convolution that merges into the one in front of it,
// as merge_convs_step does: stride-1 convolution, identity, stride-1 convolution.
template <class Net, std::size_t I>
constexpr bool merges_into_previous() {
  if constexpr (I < 2)
    return false;
  else
    return stride1_conv_spec<identity_snapped_spec<Net, I>> && std::is_same_v<identity_snapped_spec<Net, I - 1>, Identity> &&
           stride1_conv_spec<identity_snapped_spec<Net, I - 2>>;
}

}  // namespace detail

// Net with every ReLUAlpha snapped to the identity (Folded's all-identity pattern, unfolded).
template <class Net>
using AllIdentity = typename detail::conv_merging<Net>::snapped;

// AllIdentity<Net> with its chains of stride-1 convolutions merged.
template <class Net>
using MergedConvs = typename detail::conv_merging<Net>::type;

// How many convolutions merging removes (0: nothing to merge).
template <class Net>
constexpr std::size_t merged_conv_count = AllIdentity<Net>::layer_count - MergedConvs<Net>::layer_count;

// The composed convolution (W, b) = conv2 after conv1, as above. Kernels OIHW, square; in
// double, so that the merged weights are the exact sums rounded once.
struct ConvWeights {
  int out = 0, in = 0, k = 0;
  std::vector<double> weight, bias;  // [out, in, k, k], [out]
  double& w(int o, int i, int y, int x) { return weight[((std::size_t(o) * in + i) * k + y) * k + x]; }
  double w(int o, int i, int y, int x) const { return weight[((std::size_t(o) * in + i) * k + y) * k + x]; }
};

inline ConvWeights compose_convs(const ConvWeights& first, const ConvWeights& second) {
  ConvWeights merged{second.out, first.in, first.k + second.k - 1, {}, {}};
  merged.weight.assign(std::size_t(merged.out) * merged.in * merged.k * merged.k, 0.0);
  merged.bias = second.bias;
  for (int o = 0; o < second.out; ++o)
    for (int m = 0; m < second.in; ++m)
      for (int v = 0; v < second.k; ++v)
        for (int vx = 0; vx < second.k; ++vx) {
          const double w2 = second.w(o, m, v, vx);
          merged.bias[std::size_t(o)] += w2 * first.bias[std::size_t(m)];
          for (int i = 0; i < first.in; ++i)
            for (int u = 0; u < first.k; ++u)
              for (int ux = 0; ux < first.k; ++ux) merged.w(o, i, u + v, ux + vx) += w2 * first.w(m, i, u, ux);
        }
  return merged;
}

// The parameters of MergedConvs<Net> from those of Net (alphas dropped: every one is taken as
// 0). Merged layer by merged layer in network order, which is the order of the merged
// network's parameter, buffer and counter arenas.
template <class Net>
Params<MergedConvs<Net>> merge_convs(const Params<Net>& params) {
  using Out = MergedConvs<Net>;
  std::vector<float> values, buffers;
  std::vector<std::int64_t> counters;
  std::optional<ConvWeights> pending;  // the convolution being merged, if any
  auto flush = [&] {
    if (!pending) return;
    values.insert(values.end(), pending->weight.begin(), pending->weight.end());
    values.insert(values.end(), pending->bias.begin(), pending->bias.end());
    pending.reset();
  };
  boost::hana::for_each(boost::hana::make_range(boost::hana::size_c<0>, boost::hana::size_c<Net::layer_count>), [&](auto index) {
    constexpr std::size_t i = decltype(index)::value;
    using L = typename Net::template layer<i>;
    using Spec = detail::identity_snapped_spec<Net, i>;
    if constexpr (std::is_same_v<Spec, Identity>) {
      return;  // no tensor (a snapped alpha's goes)
    } else if constexpr (detail::stride1_conv_spec<Spec>) {
      const float* p = params.values().data() + Net::param_offsets[i];
      ConvWeights conv{L::out.c, L::in.c, L::geometry.kernel, {p, p + L::weight_count}, {p + L::weight_count, p + L::param_count}};
      if constexpr (detail::merges_into_previous<Net, i>()) {
        pending = compose_convs(*pending, conv);
      } else {
        flush();
        pending = std::move(conv);
      }
    } else {
      flush();
      values.insert(values.end(), params.values().begin() + std::ptrdiff_t(Net::param_offsets[i]),
                    params.values().begin() + std::ptrdiff_t(Net::param_offsets[i + 1]));
      buffers.insert(buffers.end(), params.buffers().begin() + std::ptrdiff_t(Net::buffer_offsets[i]),
                     params.buffers().begin() + std::ptrdiff_t(Net::buffer_offsets[i + 1]));
      counters.insert(counters.end(), params.counters().begin() + std::ptrdiff_t(Net::counter_offsets[i]),
                      params.counters().begin() + std::ptrdiff_t(Net::counter_offsets[i + 1]));
    }
  });
  flush();
  Params<Out> merged;
  if (values.size() != Out::param_count || buffers.size() != merged.buffers().size() ||
      counters.size() != merged.counters().size())
    throw Error("merge_convs: the merged parameters do not fill the merged network's arenas");
  std::copy(values.begin(), values.end(), merged.values().begin());
  std::copy(buffers.begin(), buffers.end(), merged.buffers().begin());
  std::copy(counters.begin(), counters.end(), merged.counters().begin());
  return merged;
}

// The chains merge_convs merges, named by their convolutions: {"conv1+conv2+conv3"}.
template <class Net>
std::vector<std::string> merged_chains() {
  std::vector<std::string> chains;
  boost::hana::for_each(boost::hana::make_range(boost::hana::size_c<0>, boost::hana::size_c<Net::layer_count>), [&](auto index) {
    constexpr std::size_t i = decltype(index)::value;
    const std::string name = "conv" + std::to_string(Net::kind_number[i]);
    if constexpr (detail::merges_into_previous<Net, i>()) {
      chains.back() += "+" + name;
    } else if constexpr (detail::stride1_conv_spec<detail::identity_snapped_spec<Net, i>>) {
      chains.push_back(name);
    }
  });
  std::erase_if(chains, [](const std::string& c) { return c.find('+') == std::string::npos; });
  return chains;
}

}  // namespace linconv
