// Microbenchmarks of the report's network: one-image inference and one optimiser step of a
// batch (2 threads, and 1), reporting images/s. Run: linconv_bench [--benchmark_filter=REGEX].
#include <benchmark/benchmark.h>

#include <vector>

#include "linconv/fashion_net.hpp"
#include "linconv/trainer.hpp"

namespace {

using Net = linconv::FashionNet;
constexpr int image_size = Net::input_shape.size();

std::vector<float> random_images(int n) {
  std::vector<float> images(std::size_t(n) * image_size);
  linconv::Rng rng(7);
  for (float& v : images) v = rng.uniform();
  return images;
}

void infer(benchmark::State& state, int batch) {
  const auto params = linconv::init_like_pytorch<Net>(1);
  linconv::ThreadPool pool(1);
  linconv::Workspace<Net> ws(batch, 1);
  const std::vector<float> images = random_images(batch);
  std::vector<std::uint8_t> labels(batch, 0);
  for (auto _ : state) {
    const auto result = linconv::evaluate(params, linconv::Batch<Net::input_shape>{images.data(), batch},
                                          labels.data(), ws, pool);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations() * batch);
}

void train_step(benchmark::State& state, int batch, int threads) {
  auto params = linconv::init_like_pytorch<Net>(1);
  linconv::ThreadPool pool(threads);
  linconv::Trainer<Net> trainer(params, {.lambda = 0.5f}, pool, batch);
  const std::vector<float> images = random_images(batch);
  std::vector<std::uint8_t> labels(batch);
  for (int i = 0; i < batch; ++i) labels[i] = std::uint8_t(i % 10);
  for (auto _ : state) {
    const auto stats = trainer.step(linconv::Batch<Net::input_shape>{images.data(), batch}, labels.data());
    benchmark::DoNotOptimize(stats);
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["threads"] = threads;
}
}  // namespace

int main(int argc, char** argv) {
  benchmark::RegisterBenchmark("infer/batch:1", infer, 1)->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("train_step/batch:100", train_step, 100, 2)
      ->Unit(benchmark::kMillisecond)->UseRealTime();
  benchmark::RegisterBenchmark("train_step/batch:100/threads:1", train_step, 100, 1)
      ->Unit(benchmark::kMillisecond)->UseRealTime();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
