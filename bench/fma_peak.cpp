// The machine's floating-point peak, measured in the same run as the kernels so that every
// kernel benchmark can report its share of it (issue 12: "know the limit in every run").
//
// The peak is what a loop of independent fused multiply-adds on registers only reaches: no
// loads, no stores, no dependency between consecutive FMAs of the same accumulator within one
// latency. An FMA unit takes a new FMA every cycle and returns it 4 cycles later; with two units
// (Intel Xeon Skylake-SP to Sapphire Rapids, AMD Zen 4/5) at least 8 FMAs must be in flight,
// so the loop keeps 16 accumulators (12 with AVX2, whose 16 registers also hold the factors).
// The loop is compiled for the widest vectors the CPU has (AVX-512, else AVX2 + FMA, else SSE2,
// where an FMA is a multiply and an add: still 2 FLOPs per lane), each with its own target
// attribute, so that the measurement does not depend on the flags linconv_bench was built with.
//
// One core: one thread, and the best thread of the next measurement. Every core: one thread
// per hardware thread, all at once, the rates added. Rates are FLOPs over the thread's own CPU time, as Google Benchmark's counters are (a
// busy machine then lowers neither), and the best of a few trials is kept: the peak is a maximum.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <thread>
#include <vector>

#include "benchmarks.hpp"

namespace linconv::bench {
namespace {

double thread_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

// `rounds` rounds of acc[k] = acc[k] * a + b on Chains accumulators of Lanes floats: returns
// the FLOPs done. The empty asm makes `a` unknown at every round, so that the compiler can
// neither fold rounds together nor drop them; the accumulators' sum is stored to `sink`.
#define LINCONV_FMA_LOOP(Lanes, Chains)                                                   \
  using V = float __attribute__((vector_size(Lanes * sizeof(float))));                    \
  V acc[Chains], a = V{} + factor, b = V{} + addend;                                      \
  for (int k = 0; k < Chains; ++k) acc[k] = V{} + float(k);                               \
  for (long r = 0; r < rounds; ++r) {                                                     \
    asm volatile("" : "+x"(a));                                                           \
    for (int k = 0; k < Chains; ++k) acc[k] = acc[k] * a + b;                             \
  }                                                                                       \
  V total{};                                                                              \
  for (int k = 0; k < Chains; ++k) total += acc[k];                                       \
  *sink = total[0];                                                                       \
  return 2.0 * Lanes * Chains * double(rounds);

__attribute__((target("avx512f,fma"))) double fma_rounds_avx512(long rounds, float factor, float addend,
                                                                float* sink) {
  LINCONV_FMA_LOOP(16, 16)
}

__attribute__((target("avx2,fma"))) double fma_rounds_avx2(long rounds, float factor, float addend, float* sink) {
  LINCONV_FMA_LOOP(8, 12)
}

double fma_rounds_sse2(long rounds, float factor, float addend, float* sink) { LINCONV_FMA_LOOP(4, 12) }

#undef LINCONV_FMA_LOOP

using FmaLoop = double (*)(long, float, float, float*);

// The widest loop this CPU runs, and the name of its instruction set.
std::pair<FmaLoop, const char*> widest_fma_loop() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return {fma_rounds_avx512, "avx512"};
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return {fma_rounds_avx2, "avx2"};
  return {fma_rounds_sse2, "sse2"};
}

// GFLOP/s of one thread running `loop` for about `seconds` of CPU time, best of `trials`.
double best_rate(FmaLoop loop, int trials, double seconds) {
  volatile float one = 1.0f, zero = 0.0f;  // unknown to the compiler: x * 1 + 0 is not folded
  float sink = 0;
  long rounds = 1 << 16;
  for (double elapsed = 0; elapsed < seconds / 4; rounds *= 2) {  // calibrate
    const double start = thread_seconds();
    loop(rounds, one, zero, &sink);
    elapsed = thread_seconds() - start;
  }
  double best = 0;
  for (int t = 0; t < trials; ++t) {
    const double start = thread_seconds();
    const double flops = loop(rounds, one, zero, &sink);
    best = std::max(best, 1e-9 * flops / (thread_seconds() - start));
  }
  return best;
}

}  // namespace

FmaPeak measure_fma_peak() {
  const auto [loop, isa] = widest_fma_loop();
  constexpr int trials = 10;
  constexpr double seconds = 0.03;
  FmaPeak peak{isa, best_rate(loop, trials, seconds), 0.0, int(std::max(1u, std::thread::hardware_concurrency()))};

  std::vector<double> rates(peak.threads);
  std::atomic<int> ready = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < peak.threads; ++t)
    threads.emplace_back([&, t, fma = loop] {
      ready.fetch_add(1);
      while (ready.load() < peak.threads) std::this_thread::yield();  // start together
      rates[t] = best_rate(fma, trials, seconds);
    });
  for (std::thread& thread : threads) thread.join();
  for (const double rate : rates) peak.all_cores += rate;
  // Each thread of the second measurement measured one core's peak too: on a shared machine
  // (a virtual machine whose cores other work also runs on) the best of all is the nearest.
  peak.one_core = std::max(peak.one_core, *std::max_element(rates.begin(), rates.end()));
  return peak;
}

}  // namespace linconv::bench
