#pragma once
// A float vector as wide as the build's compiler flags allow, for the code outside the
// dispatched kernels (the activations): with the package's default flags, SSE2's 4 floats. The
// convolution and dense kernels do not use it: they are compiled once per instruction set and
// chosen at run time (isa.hpp, for_each_isa.hpp, simd_isa.hpp).
#include <cstring>

namespace linconv::simd {

#if defined(__AVX512F__)
inline constexpr int lanes = 16;
#elif defined(__AVX__)
inline constexpr int lanes = 8;
#else
inline constexpr int lanes = 4;
#endif

using Vec = float __attribute__((vector_size(lanes * sizeof(float))));

inline Vec load(const float* p) {
  Vec v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// The lanes' sum, as a tree: the upper half added to the lower, and again.
inline float sum(Vec v) {
  float a[lanes];
  std::memcpy(a, &v, sizeof v);
  for (int width = lanes / 2; width > 0; width /= 2)
    for (int i = 0; i < width; ++i) a[i] += a[i + width];
  return a[0];
}

}  // namespace linconv::simd
