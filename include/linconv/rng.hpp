#pragma once
// The seeded random source of initialisation and shuffling. std::mt19937_64's output sequence
// is fixed by the standard; the mappings to floats and bounded integers below are our own, so a
// seed gives the same numbers with every compiler and standard library.
#include <cstdint>
#include <random>
#include <span>
#include <utility>

namespace linconv {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}

  // Uniform in [0, 1) with 24 random bits (every float of the form k * 2^-24).
  float uniform() { return static_cast<float>(engine_() >> 40) * 0x1.0p-24f; }
  float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }

  // Uniform in [0, n), unbiased (rejection of the incomplete last block).
  std::uint64_t below(std::uint64_t n) {
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    std::uint64_t x = engine_();
    while (x >= limit) x = engine_();
    return x % n;
  }

  // Fisher-Yates.
  template <class T>
  void shuffle(std::span<T> items) {
    for (std::size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[below(i)]);
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace linconv
