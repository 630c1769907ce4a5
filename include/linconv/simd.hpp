#pragma once
// A float vector as wide as the widest the target has (GCC/Clang vector extensions: the same code
// compiles to AVX-512, AVX or SSE), and the few operations the kernels need. Loads and stores
// are unaligned; arithmetic is ordinary operators (a * b + c contracts to FMA where available).
#include <cstring>

namespace linconv::simd {

#if defined(__AVX512F__)
inline constexpr int lanes = 16;
#elif defined(__AVX__)
inline constexpr int lanes = 8;
#else
inline constexpr int lanes = 4;
#endif

// Registers the kernels may keep accumulators in (x86-64: 32 with AVX-512, else 16).
#if defined(__AVX512F__)
inline constexpr int registers = 32;
#else
inline constexpr int registers = 16;
#endif

using Vec = float __attribute__((vector_size(lanes * sizeof(float))));

inline Vec load(const float* p) {
  Vec v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline void store(float* p, Vec v) { std::memcpy(p, &v, sizeof v); }

inline Vec splat(float s) { return Vec{} + s; }

// The lanes' sum, as a tree: the upper half added to the lower, and again (compiles to a few
// shuffles and adds rather than a chain of lanes - 1 dependent scalar adds).
inline float sum(Vec v) {
  float a[lanes];
  std::memcpy(a, &v, sizeof v);
  for (int width = lanes / 2; width > 0; width /= 2)
    for (int i = 0; i < width; ++i) a[i] += a[i + width];
  return a[0];
}

constexpr int round_up(int n, int multiple) { return (n + multiple - 1) / multiple * multiple; }

}  // namespace linconv::simd
