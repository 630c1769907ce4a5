// linconv_bench: microbenchmarks of the report's network, named what/shape-or-batch
// (CONVENTIONS "Benchmarks"):
//   infer/batch:1                    one-image inference (1 thread)
//   infer/batch:100                  batch inference, 100 images (1 thread)
//   infer/batch:B/folded:F           the same for the network folded behind conv F (bench_fold.cpp)
//   model_predict/batch:1            the same through Model::predict, as an embedding program runs
//   train_step/batch:B               one optimiser step of B images, 2 threads
//   train_step/batch:B/threads:1     the same on 1 thread
//   .../unfused                      the same without fusing convolutions and activations
//   <layer>_<pass>/<shapes>/batch:N  every layer alone (bench_layers.cpp)
// all reporting images/s (items_per_second), GFLOP/s and peak%, the share of the FMA peak of one
// core (of every core for train_step/batch:B), measured at the start of the run (fma_peak.cpp)
// and printed in the header with the CPU it ran on. B is 100 unless --train_batches=B1,B2,... lists
// others (bench/compare.py uses it for throughput versus batch size).
// Run: linconv_bench [--train_batches=LIST] [--benchmark_filter=REGEX] [other --benchmark_* flags]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "benchmarks.hpp"
#include "linconv/fashion_net.hpp"
#include "linconv/isa.hpp"
#include "linconv/model.hpp"
#include "linconv/trainer.hpp"

namespace linconv::bench {
namespace {

using Net = FashionNet;
constexpr int image_size = Net::input_shape.size();

constexpr double inference_flops = network_flops_per_image<Net, false>();
constexpr double training_flops = network_flops_per_image<Net, true>();

AlignedFloats random_images(int n) { return random_floats(std::size_t(n) * image_size, 0.0f, 1.0f); }

FmaPeak measured_peak;

template <Fusion F>
void infer_report_net(benchmark::State& state, int batch) {
  infer<Net, F>(state, init_like_pytorch<Net>(1), batch);
}

// One image through Model<Net>::predict on the calling thread (its buffers exist after the first
// call); the alphas are 0.5, so the activations run the general formula.
void model_predict(benchmark::State& state) {
  const Model<Net> model(init_like_pytorch<Net>(1));
  const AlignedFloats image = random_images(1);
  const Model<Net>::Image input(image.data(), image_size);
  const LoopClock clock;
  for (auto _ : state) {
    const Model<Net>::Logits logits = model.predict(input);
    benchmark::DoNotOptimize(logits);
  }
  state.SetItemsProcessed(state.iterations());
  report_flops(state, inference_flops, clock);
}

template <Fusion F>
void train_step(benchmark::State& state, int batch, int threads) {
  auto params = init_like_pytorch<Net>(1);
  ThreadPool pool(threads);
  Trainer<Net, F> trainer(params, {.lambda = 0.5f}, pool, batch);
  const AlignedFloats images = random_images(batch);
  std::vector<std::uint8_t> labels(batch);
  for (int i = 0; i < batch; ++i) labels[i] = std::uint8_t(i % 10);
  const LoopClock clock(true);  // registered with UseRealTime()
  for (auto _ : state) {
    const auto stats = trainer.step(Batch<Net::input_shape>{images.data(), batch}, labels.data());
    benchmark::DoNotOptimize(stats);
  }
  state.SetItemsProcessed(state.iterations() * batch);
  report_flops(state, batch * training_flops, clock, threads > 1);
  state.counters["threads"] = threads;
}

// --train_batches=B1,B2,...: the batch sizes of the train_step benchmarks (default 100).
constexpr std::string_view train_batches_flag = "--train_batches=";

void print_help() {
  benchmark::PrintDefaultHelp();
  std::fprintf(stdout,
               "          [--train_batches=<B1,B2,...>]  batch sizes of train_step/batch:B and\n"
               "                                         train_step/batch:B/threads:1 (default 100)\n");
}

// Parses "1,10,100" into positive batch sizes; false on anything else.
bool parse_batches(std::string_view text, std::vector<int>& batches) {
  batches.clear();
  while (true) {
    const std::size_t comma = std::min(text.find(','), text.size());
    int value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + comma, value);
    if (error != std::errc() || end != text.data() + comma || value < 1) return false;
    batches.push_back(value);
    if (comma == text.size()) return true;
    text.remove_prefix(comma + 1);
  }
}

// "Intel(R) Xeon(R) Processor @ 2.80GHz": the first model name in /proc/cpuinfo.
std::string cpu_model() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);)
    if (line.starts_with("model name"))
      if (const std::size_t colon = line.find(':'); colon != std::string::npos)
        return line.substr(line.find_first_not_of(" \t", colon + 1));
  return "unknown";
}

// Takes --train_batches out of argv (Google Benchmark rejects flags it does not know).
bool take_train_batches(int& argc, char** argv, std::vector<int>& batches) {
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (!arg.starts_with(train_batches_flag)) {
      argv[kept++] = argv[i];
      continue;
    }
    if (!parse_batches(arg.substr(train_batches_flag.size()), batches)) {
      std::fprintf(stderr,
                   "linconv_bench: error: %s: expected a list of positive integers, e.g. 1,10,100\n",
                   argv[i]);
      return false;
    }
  }
  argc = kept;
  return true;
}

}  // namespace

const FmaPeak& fma_peak() { return measured_peak; }

// Measures the peak and names it, the CPU and the kernels' instruction set in the header of
// every output format.
void measure_and_describe_peak() {
  measured_peak = measure_fma_peak();
  char text[64];
  std::snprintf(text, sizeof text, "%.1f", measured_peak.one_core);
  benchmark::AddCustomContext("fma_peak_one_core_gflops", text);
  std::snprintf(text, sizeof text, "%.1f", measured_peak.all_cores);
  benchmark::AddCustomContext("fma_peak_all_cores_gflops", text);
  benchmark::AddCustomContext("fma_peak_threads", std::to_string(measured_peak.threads));
  benchmark::AddCustomContext("fma_peak_isa", measured_peak.isa);
  benchmark::AddCustomContext("cpu_model", cpu_model());
  benchmark::AddCustomContext("kernel_isa", kernels::isa_name(kernels::active_isa()));
}

void register_network_benchmarks(std::span<const int> train_batches) {
  benchmark::RegisterBenchmark("infer/batch:1", infer_report_net<Fusion::on>, 1)->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("infer/batch:1/unfused", infer_report_net<Fusion::off>, 1)->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("infer/batch:100", infer_report_net<Fusion::on>, 100)->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("model_predict/batch:1", model_predict)->Unit(benchmark::kMicrosecond);
  for (const int batch : train_batches) {
    const std::string name = "train_step/batch:" + std::to_string(batch);
    for (const auto& [suffix, threads] : {std::pair{"", 2}, std::pair{"/threads:1", 1}}) {
      benchmark::RegisterBenchmark((name + suffix).c_str(), train_step<Fusion::on>, batch, threads)
          ->Unit(benchmark::kMillisecond)->UseRealTime();
      benchmark::RegisterBenchmark((name + suffix + "/unfused").c_str(), train_step<Fusion::off>, batch, threads)
          ->Unit(benchmark::kMillisecond)->UseRealTime();
    }
  }
}

}  // namespace linconv::bench

int main(int argc, char** argv) {
  std::vector<int> train_batches{100};
  if (!linconv::bench::take_train_batches(argc, argv, train_batches)) return 2;
  benchmark::Initialize(&argc, argv, linconv::bench::print_help);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  linconv::bench::measure_and_describe_peak();
  linconv::bench::register_network_benchmarks(train_batches);
  linconv::bench::register_fold_benchmarks();
  linconv::bench::register_layer_benchmarks();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
