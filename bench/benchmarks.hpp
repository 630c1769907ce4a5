#pragma once
// What the files of linconv_bench share: each file registers its own benchmarks with a
// register_*_benchmarks() function, and main() (bench_main.cpp) calls them all.
#include <cstddef>
#include <cstdint>
#include <span>

#include "linconv/params.hpp"
#include "linconv/rng.hpp"

namespace linconv::bench {

// `count` floats uniform in [lo, hi) from a fixed seed, in an aligned buffer.
inline AlignedFloats random_floats(std::size_t count, float lo, float hi, std::uint64_t seed = 7) {
  AlignedFloats values(count);
  Rng rng(seed);
  for (float& v : values) v = rng.uniform(lo, hi);
  return values;
}

// bench_main.cpp: infer/batch:1, model_predict/batch:1, and train_step/batch:B (2 threads) and
// train_step/batch:B/threads:1 for every B of `train_batches`.
void register_network_benchmarks(std::span<const int> train_batches);

// bench_layers.cpp: every layer of FashionNet, forward and backward, batch 1 and 100.
void register_layer_benchmarks();

}  // namespace linconv::bench
