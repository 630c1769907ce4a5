// Per-layer microbenchmarks of linconv::FashionNet: each layer's static forward and backward
// alone, on one thread, at batch 1 and 100, on random data in preallocated buffers. Names follow
// `<layer>_<pass>/<shapes>/batch:<n>` (the shape alone when the layer keeps it), e.g.
//   conv_forward/8x28x28->16x28x28/batch:100    relu_alpha_backward/16x28x28/batch:1
//   dense_forward/25088->10/batch:100
// Flatten aliases its input and does no work: it has no benchmark. Each convolution is also timed
// fused with the activation after it (conv_relu_alpha_forward/...), as the engine runs them,
// and the two halves of its backward pass apart (conv_weight_grad/..., conv_input_grad/...).
//
// Counters: items_per_second (images), GFLOP/s and peak% (the share of one core's FMA peak)
// from the FLOPs of one image (flops_per_image in benchmarks.hpp says how they are counted), and
// for the memory-bound activations bytes_per_second (4 bytes per float read or written).
#include <benchmark/benchmark.h>

#include <cctype>
#include <string>
#include <string_view>

#include "benchmarks.hpp"
#include "linconv/fashion_net.hpp"

namespace linconv::bench {
namespace {

using Net = FashionNet;
constexpr int layer_batches[] = {1, 100};

// Bytes an activation reads and writes for one image: x and y forward; x, dy and dx backward.
template <class L, bool First, Pass P>
constexpr double activation_bytes_per_image() {
  const int floats_per_element = P == Pass::forward ? 2 : (First ? 2 : 3);
  return double(sizeof(float)) * floats_per_element * L::in.size();
}

// Times L::forward or L::backward of `batch` images (L: layer I of Net).
template <std::size_t I, Pass P>
void layer_pass(benchmark::State& state, int batch) {
  using L = Net::layer<I>;
  constexpr bool first = I == 0;
  const std::size_t in_floats = std::size_t(batch) * L::in.size();
  const std::size_t out_floats = std::size_t(batch) * L::out.size();

  AlignedFloats params(L::param_count), buffers(L::buffer_floats);
  std::vector<std::int64_t> counters(L::counter_count);
  Rng rng(1);
  L::init({params.data(), buffers.data(), counters.data()}, rng, InitOptions{});
  const AlignedFloats x = random_floats(in_floats, -1.0f, 1.0f, 11);
  const AlignedFloats dy = random_floats(out_floats, -1.0f, 1.0f, 12);
  AlignedFloats y(out_floats), dx(first ? 0 : in_floats), dparams(L::param_count);
  AlignedFloats scratch(L::scratch_floats), saved(L::saved_floats);
  float* const dx_or_null = first ? nullptr : dx.data();
  const LayerTensors tensors{params.data(), dparams.data(), buffers.data(), counters.data()};
  const Context context{Mode::training, 0, nullptr, scratch.data(), saved.data()};
  const Images<L::in> input{x.data(), batch};
  L::forward(tensors, input, ImagesOut<L::out>{y.data(), batch}, context);  // the y backward reads

  const LoopClock clock;
  for (auto _ : state) {
    if constexpr (P == Pass::forward) {
      L::forward(tensors, input, ImagesOut<L::out>{y.data(), batch}, context);
      benchmark::DoNotOptimize(y.data());
    } else {
      // Adds into dparams at every iteration, as the engine does over a batch's slices.
      L::backward(tensors, input, Images<L::out>{y.data(), batch}, Images<L::out>{dy.data(), batch},
                  ImagesOut<L::in>{dx_or_null, batch}, context);
      benchmark::DoNotOptimize(dx_or_null);
      benchmark::DoNotOptimize(dparams.data());
    }
    benchmark::ClobberMemory();
  }

  state.SetItemsProcessed(state.iterations() * batch);
  report_flops(state, batch * flops_per_image<L, first, P>(), clock);
  if constexpr (L::kind == "act")
    state.SetBytesProcessed(
        std::int64_t(state.iterations() * batch * activation_bytes_per_image<L, first, P>()));
}

// The two halves of a stride-1 convolution's backward pass, timed on their own (kernel level,
// no activation): conv_weight_grad/... (dW and db) and conv_input_grad/... (dx; not for the
// network's first layer, whose input gradient the engine never computes). 2 * MACs each.
enum class Half { weight_gradient, input_gradient };

template <std::size_t I, Half H>
void conv_half(benchmark::State& state, int batch) {
  using L = Net::layer<I>;
  using Direct = typename L::Direct;
  AlignedFloats params(L::param_count), dparams(L::param_count), scratch(Direct::scratch_floats);
  Rng rng(1);
  L::init({params.data()}, rng, InitOptions{});
  const AlignedFloats x = random_floats(std::size_t(batch) * L::in.size(), -1.0f, 1.0f, 11);
  const AlignedFloats dy = random_floats(std::size_t(batch) * L::out.size(), -1.0f, 1.0f, 12);
  AlignedFloats dx(std::size_t(batch) * L::in.size());
  const LoopClock clock;
  for (auto _ : state) {
    if constexpr (H == Half::weight_gradient)
      Direct::weight_gradient(x.data(), dy.data(), dparams.data(), dparams.data() + L::weight_count, batch,
                              scratch.data());
    else
      Direct::input_gradient(params.data(), dy.data(), dx.data(), batch, scratch.data());
    benchmark::DoNotOptimize(dparams.data());
    benchmark::DoNotOptimize(dx.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * batch);
  report_flops(state, batch * flops_per_image<L, false, Pass::forward>(), clock);
}

// "Conv<8,5,1,2>" -> "conv", "ReLUAlpha" -> "relu_alpha", "Dense<10>" -> "dense": the layer's
// name without template arguments, with '_' before every capital that starts a lower-case word.
std::string snake_case_name(std::string_view name) {
  name = name.substr(0, name.find('<'));
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const auto ch = static_cast<unsigned char>(name[i]);
    const auto next = static_cast<unsigned char>(i + 1 < name.size() ? name[i + 1] : '\0');
    if (i > 0 && std::isupper(ch) && std::islower(next)) out += '_';
    out += static_cast<char>(std::tolower(ch));
  }
  return out;
}

// "8x28x28", or "25088" for a flat vector.
std::string shape_text(Shape s) {
  if (s.h == 1 && s.w == 1) return std::to_string(s.c);
  return std::to_string(s.c) + "x" + std::to_string(s.h) + "x" + std::to_string(s.w);
}

template <std::size_t I, Pass P>
void register_layer_pass(int batch) {
  using L = Net::layer<I>;
  const std::string shapes =
      L::in == L::out ? shape_text(L::in) : shape_text(L::in) + "->" + shape_text(L::out);
  const std::string name = snake_case_name(L::name) + (P == Pass::forward ? "_forward/" : "_backward/") +
                           shapes + "/batch:" + std::to_string(batch);
  benchmark::RegisterBenchmark(name.c_str(), layer_pass<I, P>, batch)->Unit(benchmark::kMicrosecond);
}

template <std::size_t I, Half H>
void register_conv_half(int batch) {
  using L = Net::layer<I>;
  const std::string name = std::string(H == Half::weight_gradient ? "conv_weight_grad/" : "conv_input_grad/") +
                           shape_text(L::in) + "->" + shape_text(L::out) + "/batch:" + std::to_string(batch);
  benchmark::RegisterBenchmark(name.c_str(), conv_half<I, H>, batch)->Unit(benchmark::kMicrosecond);
}

// Times a convolution fused with its activation (layers I and I + 1; engine.hpp), to set
// against the two layers' own benchmarks: conv_relu_alpha_forward/8x28x28->16x28x28/batch:100.
template <std::size_t I, Pass P>
void fused_pass(benchmark::State& state, int batch) {
  using L = Net::layer<I>;
  using A = Net::layer<I + 1>;
  const std::size_t in_floats = std::size_t(batch) * L::in.size();
  const std::size_t out_floats = std::size_t(batch) * L::out.size();
  AlignedFloats params(L::param_count + A::param_count);
  Rng rng(1);
  L::init({params.data()}, rng, InitOptions{});
  A::init({params.data() + L::param_count}, rng, InitOptions{});
  const AlignedFloats x = random_floats(in_floats, -1.0f, 1.0f, 11);
  const AlignedFloats dpost = random_floats(out_floats, -1.0f, 1.0f, 12);
  AlignedFloats pre(out_floats), post(out_floats), dx(I == 0 ? 0 : in_floats), dparams(params.size());
  AlignedFloats scratch(L::scratch_floats);
  float* const dx_or_null = I == 0 ? nullptr : dx.data();
  const LayerTensors conv{params.data(), dparams.data()};
  const LayerTensors act{params.data() + L::param_count, dparams.data() + L::param_count};
  const Context context{Mode::training, 0, nullptr, scratch.data()};
  const Images<L::in> input{x.data(), batch};
  L::template forward_fused<A>(conv, act, input, ImagesOut<L::out>{pre.data(), batch},
                               ImagesOut<A::out>{post.data(), batch}, context);
  const LoopClock clock;
  for (auto _ : state) {
    if constexpr (P == Pass::forward) {
      L::template forward_fused<A>(conv, act, input, ImagesOut<L::out>{pre.data(), batch},
                                   ImagesOut<A::out>{post.data(), batch}, context);
      benchmark::DoNotOptimize(post.data());
    } else {
      L::template backward_fused<A>(conv, act, input, Images<L::out>{pre.data(), batch},
                                    Images<A::out>{dpost.data(), batch}, ImagesOut<L::in>{dx_or_null, batch}, context);
      benchmark::DoNotOptimize(dparams.data());
    }
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * batch);
  const double flops = flops_per_image<L, I == 0, P>() + flops_per_image<A, false, P>();
  report_flops(state, batch * flops, clock);
}

template <std::size_t I, Pass P>
void register_fused_pass(int batch) {
  using L = Net::layer<I>;
  using A = Net::layer<I + 1>;
  const std::string name = snake_case_name(L::name) + "_" + snake_case_name(A::name) +
                           (P == Pass::forward ? "_forward/" : "_backward/") + shape_text(L::in) + "->" +
                           shape_text(L::out) + "/batch:" + std::to_string(batch);
  benchmark::RegisterBenchmark(name.c_str(), fused_pass<I, P>, batch)->Unit(benchmark::kMicrosecond);
}

}  // namespace

void register_layer_benchmarks() {
  Net::for_each_layer([](auto index) {
    constexpr std::size_t i = decltype(index)::value;
    if constexpr (!Net::layer<i>::in_place) {
      for (const int batch : layer_batches) register_layer_pass<i, Pass::forward>(batch);
      for (const int batch : layer_batches) register_layer_pass<i, Pass::backward>(batch);
    }
    if constexpr (Net::layer<i>::kind == "conv") {
      if constexpr (Net::layer<i>::Direct::applies) {
        for (const int batch : layer_batches) register_conv_half<i, Half::weight_gradient>(batch);
        if constexpr (i > 0)
          for (const int batch : layer_batches) register_conv_half<i, Half::input_gradient>(batch);
      }
    }
    if constexpr (Net::fused_with_next[i]) {
      for (const int batch : layer_batches) register_fused_pass<i, Pass::forward>(batch);
      for (const int batch : layer_batches) register_fused_pass<i, Pass::backward>(batch);
    }
  });
}

}  // namespace linconv::bench
