// No include guard: for_each_isa.hpp includes it once per instruction set (elementwise.hpp
// says what each computes). Element-by-element loops over whole vectors, then the tail one by
// one; selects are vector conditionals (compare, then blend), never a branch on the data.
namespace linconv::kernels::LINCONV_ISA::elementwise {

// x (x >= 0), slope * x (x < 0) for a vector: the formula of leaky, which a convolution's
// forward pass also applies to its outputs before it stores them (direct_conv.hpp, LeakySlope).
inline simd::Vec leaky_vector(simd::Vec slope, simd::Vec x) {
  const simd::Vec zero{};
  return x >= zero ? x : slope * x;
}

inline void leaky(float slope, const float* x, float* y, std::size_t count) {
  using simd::Vec;
  const Vec s = simd::splat(slope);
  const std::size_t whole = count / simd::lanes * simd::lanes;
  for (std::size_t i = 0; i < whole; i += simd::lanes) simd::store(y + i, leaky_vector(s, simd::load(x + i)));
  for (std::size_t i = whole; i < count; ++i) y[i] = x[i] >= 0.0f ? x[i] : slope * x[i];
}

// One pass over x and dy: dalpha -= sum of dy * min(x, 0), and dx (when not null) = dy (x > 0),
// slope * dy (x < 0), 0 (x == 0). Each element is read before dx is written: dx may be dy.
// Four accumulators in turn within a block of 256 elements: a single one chained its FMAs on
// their latency (4 cycles each) instead of issuing two a cycle.
template <bool InputGradient>
inline void leaky_backward_pass(float slope, const float* x, const float* dy, float* dx, std::size_t count,
                                double& dalpha) {
  using simd::Vec;
  constexpr std::size_t block = 256, chains = 4;
  const Vec s = simd::splat(slope), zero{};
  for (std::size_t begin = 0; begin < count; begin += block) {
    const std::size_t size = std::min(block, count - begin), whole = begin + size / simd::lanes * simd::lanes;
    Vec acc[chains] = {};
    for (std::size_t i = begin, chain = 0; i < whole; i += simd::lanes, chain = (chain + 1) % chains) {
      const Vec v = simd::load(x + i), d = simd::load(dy + i);
      acc[chain] += d * (zero < v ? zero : v);  // min(x, 0), as std::min(x, 0.0f)
      if constexpr (InputGradient) simd::store(dx + i, v > zero ? d : (v < zero ? s * d : zero));
    }
    float sum = simd::sum((acc[0] + acc[1]) + (acc[2] + acc[3]));
    for (std::size_t i = whole; i < begin + size; ++i) {
      sum += dy[i] * std::min(x[i], 0.0f);
      if constexpr (InputGradient) dx[i] = x[i] > 0.0f ? dy[i] : (x[i] < 0.0f ? slope * dy[i] : 0.0f);
    }
    dalpha -= sum;
  }
}

inline void leaky_backward(float slope, const float* x, const float* dy, float* dx, std::size_t count,
                           double& dalpha) {
  if (dx)
    leaky_backward_pass<true>(slope, x, dy, dx, count, dalpha);
  else
    leaky_backward_pass<false>(slope, x, dy, dx, count, dalpha);
}

}  // namespace linconv::kernels::LINCONV_ISA::elementwise
