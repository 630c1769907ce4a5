// No include guard: for_each_isa.hpp includes it once per instruction set (elementwise.hpp
// says what each computes). Element-by-element loops over whole vectors, then the tail one by
// one; selects are vector conditionals (compare, then blend), never a branch on the data.
namespace linconv::kernels::LINCONV_ISA::elementwise {

inline void leaky(float slope, const float* x, float* y, std::size_t count) {
  using simd::Vec;
  const Vec s = simd::splat(slope), zero{};
  const std::size_t whole = count / simd::lanes * simd::lanes;
  for (std::size_t i = 0; i < whole; i += simd::lanes) {
    const Vec v = simd::load(x + i);
    simd::store(y + i, v >= zero ? v : s * v);
  }
  for (std::size_t i = whole; i < count; ++i) y[i] = x[i] >= 0.0f ? x[i] : slope * x[i];
}

inline void leaky_input_gradient(float slope, const float* x, const float* dy, float* dx, std::size_t count) {
  using simd::Vec;
  const Vec s = simd::splat(slope), zero{};
  const std::size_t whole = count / simd::lanes * simd::lanes;
  for (std::size_t i = 0; i < whole; i += simd::lanes) {
    const Vec v = simd::load(x + i), d = simd::load(dy + i);
    simd::store(dx + i, v > zero ? d : (v < zero ? s * d : zero));
  }
  for (std::size_t i = whole; i < count; ++i) dx[i] = x[i] > 0.0f ? dy[i] : (x[i] < 0.0f ? slope * dy[i] : 0.0f);
}

inline void subtract_negative_part_dot(const float* x, const float* dy, std::size_t count, double& dalpha) {
  using simd::Vec;
  constexpr std::size_t block = 256;
  const Vec zero{};
  for (std::size_t begin = 0; begin < count; begin += block) {
    const std::size_t size = std::min(block, count - begin), whole = begin + size / simd::lanes * simd::lanes;
    Vec acc{};
    for (std::size_t i = begin; i < whole; i += simd::lanes) {
      const Vec v = simd::load(x + i);
      acc += simd::load(dy + i) * (zero < v ? zero : v);  // min(x, 0), as std::min(x, 0.0f)
    }
    float sum = simd::sum(acc);
    for (std::size_t i = whole; i < begin + size; ++i) sum += dy[i] * std::min(x[i], 0.0f);
    dalpha -= sum;
  }
}

}  // namespace linconv::kernels::LINCONV_ISA::elementwise
