#pragma once
// What the files of linconv_bench share: each file registers its own benchmarks with a
// register_*_benchmarks() function, and main() (bench_main.cpp) calls them all.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <span>
#include <vector>

#include "linconv/params.hpp"
#include "linconv/rng.hpp"
#include "linconv/thread_pool.hpp"
#include "linconv/trainer.hpp"

namespace linconv::bench {

// `count` floats uniform in [lo, hi) from a fixed seed, in an aligned buffer.
inline AlignedFloats random_floats(std::size_t count, float lo, float hi, std::uint64_t seed = 7) {
  AlignedFloats values(count);
  Rng rng(seed);
  for (float& v : values) v = rng.uniform(lo, hi);
  return values;
}

// fma_peak.cpp: the FMA peak of this machine in GFLOP/s, with the widest vectors it has
// ("avx512", "avx2" or "sse2"), on one thread and on `threads` threads at once.
struct FmaPeak {
  const char* isa;
  double one_core, all_cores;
  int threads;
};
FmaPeak measure_fma_peak();

// The peak measured at the start of the run (bench_main.cpp), which the counters divide by.
const FmaPeak& fma_peak();

// FLOPs of one image through layer L (the network's first when First), forward or backward
// (the backward of a first layer computes no input gradient):
//   conv   forward 2 * MACs, MACs = out_c * out_h * out_w * in_c * k * k (the GEMM W * P(x));
//          backward the weight gradient dW += dY * P(x)^T (the same MACs) plus the input
//          gradient W^T * dY (the same MACs again): 2x forward, 1x for the first layer.
//   fc     forward 2 * in * out; backward 2 * in * out for dW, plus as much for dx.
//   act    (ReLU_alpha) per element, forward 1 (slope * x), backward 3 (dx = slope * dy: 1,
//          dalpha += dy * x: 2; 2 without dx).
// Not counted: bias additions and bias gradients, copies, and layers of other kinds.
enum class Pass { forward, backward };

template <class L, bool First, Pass P>
constexpr double flops_per_image() {
  const double input_gradient = First ? 0.0 : 1.0;
  if constexpr (L::kind == "conv") {
    const double macs = double(L::geometry.out_c) * L::geometry.pixels() * L::geometry.patch();
    return P == Pass::forward ? 2 * macs : 2 * macs * (1 + input_gradient);
  } else if constexpr (L::kind == "fc") {
    const double macs = double(L::in.size()) * L::out.size();
    return P == Pass::forward ? 2 * macs : 2 * macs * (1 + input_gradient);
  } else if constexpr (L::kind == "act") {
    return double(L::in.size()) * (P == Pass::forward ? 1 : 2 + input_gradient);
  } else {
    return 0.0;
  }
}

// FLOPs of one image through the whole network Net: the forward pass, and with Training the
// backward pass as well (one image of a training step: 38.9 MFLOP for FashionNet).
template <class Net, bool Training>
constexpr double network_flops_per_image() {
  double flops = 0;
  Net::for_each_layer([&](auto index) {
    constexpr std::size_t i = decltype(index)::value;
    using L = typename Net::template layer<i>;
    flops += flops_per_image<L, i == 0, Pass::forward>();
    if (Training) flops += flops_per_image<L, i == 0, Pass::backward>();
  });
  return flops;
}

// The time a benchmark's loop took, as Google Benchmark times it: the thread's CPU time, or the
// wall-clock time for a benchmark registered with UseRealTime(). Started before the loop.
class LoopClock {
 public:
  explicit LoopClock(bool wall = false) : wall_(wall), start_(now()) {}
  double seconds() const { return now() - start_; }

 private:
  double now() const {
    timespec t{};
    clock_gettime(wall_ ? CLOCK_MONOTONIC : CLOCK_THREAD_CPUTIME_ID, &t);
    return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
  }
  bool wall_;
  double start_;
};

// The counters of a benchmark that did `flops` floating-point operations per iteration in the
// loop timed by `clock`: GFLOP/s, and peak%, its share in percent of the FMA peak of one core (a
// single-threaded benchmark) or of every core (`all_cores`: a benchmark on every thread).
// peak% is computed here rather than as a rate counter, which would print as "%/s".
inline void report_flops(benchmark::State& state, double flops, const LoopClock& clock, bool all_cores = false) {
  const double peak = all_cores ? fma_peak().all_cores : fma_peak().one_core;
  const double gflops = 1e-9 * flops * double(state.iterations()) / clock.seconds();
  state.counters["GFLOP/s"] = gflops;
  state.counters["peak%"] = 100 * gflops / peak;
}

// Inference of `batch` random images through network N on one thread, as `linconv eval` runs it:
// images/s, GFLOP/s and peak%.
template <class N, Fusion F = Fusion::on>
void infer(benchmark::State& state, const Params<N>& params, int batch) {
  ThreadPool pool(1);
  Workspace<N> ws(batch, 1);
  const AlignedFloats images = random_floats(std::size_t(batch) * N::input_shape.size(), 0.0f, 1.0f);
  std::vector<std::uint8_t> labels(batch, 0);
  const LoopClock clock;
  for (auto _ : state) {
    const auto result =
        evaluate<N, N::input_shape, F>(params, Batch<N::input_shape>{images.data(), batch}, labels.data(), ws, pool);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations() * batch);
  report_flops(state, batch * network_flops_per_image<N, false>(), clock);
}

// bench_main.cpp: infer/batch:1, model_predict/batch:1, and train_step/batch:B (2 threads) and
// train_step/batch:B/threads:1 for every B of `train_batches`.
void register_network_benchmarks(std::span<const int> train_batches);

// bench_layers.cpp: every layer of FashionNet, forward and backward, batch 1 and 100.
void register_layer_benchmarks();

// bench_fold.cpp: infer/batch:B/folded:conv3, .../folded:conv2+conv3 and .../folded:all for B 1
// and 100.
void register_fold_benchmarks();

}  // namespace linconv::bench
