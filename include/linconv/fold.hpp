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

namespace detail {

// Spec I of Net, and what Pattern makes of it (folding and merging both start there).
template <class Net, std::size_t I>
using original_spec = typename decltype(+boost::hana::at_c<I>(net_specs<Net>::specs))::type;
template <class Net, SnapPattern<Net> Pattern, std::size_t I>
using pattern_spec = typename snap_spec<original_spec<Net, I>, net_specs<Net>::alpha_positions[I] < 0
                                                                   ? Snap::keep
                                                                   : Pattern[std::size_t(net_specs<Net>::alpha_positions[I])]>::type;

}  // namespace detail

// Net after snapping and folding, as types and numbers known at compile time.
template <class Net, SnapPattern<Net> Pattern>
struct Folding {
  using specs_of = detail::net_specs<Net>;
  static constexpr std::size_t count = specs_of::count;

  template <std::size_t I>
  using snapped_spec = detail::pattern_spec<Net, Pattern, I>;

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

namespace detail {

// Calls f.template operator()<Number(index)>(): one instantiation for each of the Count numbered
// patterns, the one numbered `index` taken.
template <class Net, std::size_t Count, SnapPattern<Net> (*Number)(std::size_t), class F>
decltype(auto) with_numbered_pattern(std::size_t index, F&& f) {
  using Result = decltype(f.template operator()<SnapPattern<Net>{}>());
  auto dispatch = [&]<std::size_t... P>(std::index_sequence<P...>) -> Result {
    if constexpr (std::is_void_v<Result>) {
      ((index == P ? (f.template operator()<Number(P)>(), true) : false) || ...);
    } else {
      Result result{};
      ((index == P ? (result = f.template operator()<Number(P)>(), true) : false) || ...);
      return result;
    }
  };
  return dispatch(std::make_index_sequence<Count>{});
}

}  // namespace detail

// Calls f.template operator()<Pattern>() with the compile-time pattern equal to `pattern`:
// one instantiation per possible pattern (3^snap_count), one of them taken.
template <class Net, class F>
decltype(auto) with_snap_pattern(const SnapPattern<Net>& pattern, F&& f) {
  return detail::with_numbered_pattern<Net, snap_pattern_count<Net>, snap_pattern_number<Net>>(
      snap_pattern_index<Net>(pattern), std::forward<F>(f));
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
// The merged network is a type computed from Net and a merge pattern: each alpha snapped to the
// identity or kept (a ReLUAlpha with its tensor, near 1 too, so that fine-tuning can move it).
// Each Conv<C1, K1, 1, P1>, Identity, Conv<C2, K2, 1, P2> of the snapped network becomes
// Conv<C2, K1 + K2 - 1, 1, P1 + P2>, from left to right, so a chain of three convolutions becomes
// one: MergedConvs<Net, Pattern>. with_merge_pattern picks the pattern a checkpoint's alphas call
// for at run time among the 2^alphas there are.
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

template <class Net, SnapPattern<Net> Pattern, class Indices = std::make_index_sequence<net_specs<Net>::count>>
struct conv_merging;
template <class InputSpec, class... Specs, SnapPattern<Sequential<InputSpec, Specs...>> Pattern, std::size_t... I>
struct conv_merging<Sequential<InputSpec, Specs...>, Pattern, std::index_sequence<I...>> {
  using Net = Sequential<InputSpec, Specs...>;
  using snapped = Sequential<InputSpec, pattern_spec<Net, Pattern, I>...>;
  using type = typename sequential_of<
      InputSpec, typename merge_convs_step<spec_list<>, spec_list<pattern_spec<Net, Pattern, I>...>>::type>::type;
};

template <class Spec>
inline constexpr bool stride1_conv_spec = false;
template <int O, int K, int P>
inline constexpr bool stride1_conv_spec<Conv<O, K, 1, P>> = true;

// Whether layer I of Net is a stride-1 convolution that merges into the one in front of it,
// as merge_convs_step does: stride-1 convolution, identity, stride-1 convolution.
template <class Net, SnapPattern<Net> Pattern, std::size_t I>
constexpr bool merges_into_previous() {
  if constexpr (I < 2)
    return false;
  else
    return stride1_conv_spec<pattern_spec<Net, Pattern, I>> &&
           std::is_same_v<pattern_spec<Net, Pattern, I - 1>, Identity> &&
           stride1_conv_spec<pattern_spec<Net, Pattern, I - 2>>;
}

}  // namespace detail

// Every alpha of Net snapped to the identity: the merge pattern `fold --merge-convs` first took.
template <class Net>
constexpr SnapPattern<Net> all_identity = [] {
  SnapPattern<Net> pattern{};
  pattern.fill(Snap::identity);
  return pattern;
}();

// Net with its alphas snapped by Pattern (all to the identity by default), unmerged.
template <class Net, SnapPattern<Net> Pattern = all_identity<Net>>
using SnappedForMerge = typename detail::conv_merging<Net, Pattern>::snapped;

// SnappedForMerge<Net, Pattern> with its chains of stride-1 convolutions merged.
template <class Net, SnapPattern<Net> Pattern = all_identity<Net>>
using MergedConvs = typename detail::conv_merging<Net, Pattern>::type;

// How many layers merging removes (0: nothing to merge): a convolution and an identity a merge.
template <class Net, SnapPattern<Net> Pattern = all_identity<Net>>
constexpr std::size_t merged_conv_count = SnappedForMerge<Net, Pattern>::layer_count - MergedConvs<Net, Pattern>::layer_count;

// Merge patterns numbered in base 2, the first alpha the lowest bit, set for the identity: 0
// keeps every alpha, merge_pattern_count<Net> - 1 snaps all.
template <class Net>
constexpr std::size_t merge_pattern_count = std::size_t(1) << snap_count<Net>;

template <class Net>
constexpr SnapPattern<Net> merge_pattern_number(std::size_t number) {
  SnapPattern<Net> pattern{};
  for (std::size_t i = 0; i < snap_count<Net>; ++i) pattern[i] = (number >> i) & 1 ? Snap::identity : Snap::keep;
  return pattern;
}

// The merge pattern of a network's alphas: within eps of 0 -> identity, else kept.
template <class Net>
SnapPattern<Net> merge_pattern(const Params<Net>& params, float eps) {
  SnapPattern<Net> pattern = snap_pattern(params, eps);
  for (Snap& s : pattern)
    if (s == Snap::relu) s = Snap::keep;
  return pattern;
}

// Calls f.template operator()<Pattern>() with the compile-time merge pattern equal to `pattern`
// (keep and identity only): one instantiation per merge pattern (2^snap_count), one of them taken.
template <class Net, class F>
decltype(auto) with_merge_pattern(const SnapPattern<Net>& pattern, F&& f) {
  std::size_t index = 0;
  for (std::size_t i = 0; i < snap_count<Net>; ++i)
    if (pattern[i] == Snap::identity) index |= std::size_t(1) << i;
  return detail::with_numbered_pattern<Net, merge_pattern_count<Net>, merge_pattern_number<Net>>(index,
                                                                                                 std::forward<F>(f));
}

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

// The parameters of MergedConvs<Net, Pattern> from those of Net: a snapped alpha's tensor goes
// (it is taken as 0), a kept one's stays. Merged layer by merged layer in network order, which
// is the order of the merged network's parameter, buffer and counter arenas.
template <class Net, SnapPattern<Net> Pattern = all_identity<Net>>
Params<MergedConvs<Net, Pattern>> merge_convs(const Params<Net>& params) {
  using Out = MergedConvs<Net, Pattern>;
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
    using Spec = detail::pattern_spec<Net, Pattern, i>;
    if constexpr (std::is_same_v<Spec, Identity> || !std::is_same_v<Spec, detail::original_spec<Net, i>>) {
      return;  // an identity, or a snapped activation: no tensor
    } else if constexpr (detail::stride1_conv_spec<Spec>) {
      const float* p = params.values().data() + Net::param_offsets[i];
      ConvWeights conv{L::out.c, L::in.c, L::geometry.kernel, {p, p + L::weight_count}, {p + L::weight_count, p + L::param_count}};
      if constexpr (detail::merges_into_previous<Net, Pattern, i>()) {
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
template <class Net, SnapPattern<Net> Pattern = all_identity<Net>>
std::vector<std::string> merged_chains() {
  std::vector<std::string> chains;
  boost::hana::for_each(boost::hana::make_range(boost::hana::size_c<0>, boost::hana::size_c<Net::layer_count>), [&](auto index) {
    constexpr std::size_t i = decltype(index)::value;
    const std::string name = "conv" + std::to_string(Net::kind_number[i]);
    if constexpr (detail::merges_into_previous<Net, Pattern, i>()) {
      chains.back() += "+" + name;
    } else if constexpr (detail::stride1_conv_spec<detail::pattern_spec<Net, Pattern, i>>) {
      chains.push_back(name);
    }
  });
  std::erase_if(chains, [](const std::string& c) { return c.find('+') == std::string::npos; });
  return chains;
}

}  // namespace linconv
