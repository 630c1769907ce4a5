// No include guard: for_each_isa.hpp includes it once per instruction set, in its section.
//
// The vector of the section's instruction set (GCC/Clang vector extensions: the same code
// compiles to AVX-512, AVX2 or SSE), and the few operations the kernels need. Loads and stores
// are unaligned; arithmetic is ordinary operators (a * b + c contracts to FMA where the
// instruction set has it).
namespace linconv::kernels::LINCONV_ISA::simd {

inline constexpr Isa isa = Isa::LINCONV_ISA;
inline constexpr int lanes = LINCONV_ISA_LANES;
// Registers the kernels may keep accumulators in (x86-64: 32 with AVX-512, else 16).
inline constexpr int registers = LINCONV_ISA_REGISTERS;

using Vec = float __attribute__((vector_size(lanes * sizeof(float))));

inline Vec load(const float* p) {
  Vec v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline void store(float* p, Vec v) { std::memcpy(p, &v, sizeof v); }

// s in every lane. Written s - 0, not 0 + s: s - 0 is s for every s (0 + -0 is +0), so the
// compiler emits a bare broadcast (from memory: one load) instead of an add before it, which
// would take an FMA port's slot.
inline Vec splat(float s) { return s - Vec{}; }

// The lanes' sum, as a tree: the upper half added to the lower, and again, each step one
// shuffle and one add in registers (the sum through memory it replaces took 35 instructions a
// vector: a third of the weight gradient's time).
template <class V>
inline float sum_halves(V v) {
  if constexpr (sizeof(V) == 64)
    return sum_halves(__builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) +
                      __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15));
  else if constexpr (sizeof(V) == 32)
    return sum_halves(__builtin_shufflevector(v, v, 0, 1, 2, 3) + __builtin_shufflevector(v, v, 4, 5, 6, 7));
  else if constexpr (sizeof(V) == 16)
    return sum_halves(__builtin_shufflevector(v, v, 0, 1) + __builtin_shufflevector(v, v, 2, 3));
  else
    return v[0] + v[1];
}

inline float sum(Vec v) { return sum_halves(v); }

// The transpose of an N x N block held as N vectors of N elements (V: Vec, or Pairs for
// 64-bit elements): in log2(N) stages, stage S swapping the off-diagonal S x S quadrants of
// every 2S x 2S block (rows r and r + S exchange the elements whose index has bit S set). Each
// stage is one two-source shuffle per row (on AVX-512 a vpermt2ps). Shuffles share port 5 with
// the second FMA unit of Intel's two-FMA cores, so a kernel keeps its transposes to a few
// percent of its work.
template <int S, int N, class V, int... I>
inline V keep_low_take_high(V a, V b, std::integer_sequence<int, I...>) {
  return __builtin_shufflevector(a, b, ((I & S) ? I - S + N : I)...);
}
template <int S, int N, class V, int... I>
inline V take_low_keep_high(V a, V b, std::integer_sequence<int, I...>) {
  return __builtin_shufflevector(a, b, ((I & S) ? I + N : I + S)...);
}
template <int S = 1, class V, int N>
inline void transpose(V (&rows)[N]) {
  static_assert(sizeof(V) / sizeof(rows[0][0]) == N, "N vectors of N elements");
  if constexpr (S < N) {
    constexpr auto index = std::make_integer_sequence<int, N>{};
    for (int r = 0; r < N; ++r)
      if ((r & S) == 0) {
        const V a = rows[r], b = rows[r + S];
        rows[r] = keep_low_take_high<S, N>(a, b, index);
        rows[r + S] = take_low_keep_high<S, N>(a, b, index);
      }
    transpose<2 * S>(rows);
  }
}

// v's lanes moved down by N, zeros shifted in at the top (one valignd on AVX-512).
template <int N, int... I>
inline Vec shift_down(Vec v, std::integer_sequence<int, I...>) {
  return __builtin_shufflevector(v, Vec{}, (I + N < lanes ? I + N : lanes)...);
}
template <int N>
inline Vec shift_down(Vec v) {
  return shift_down<N>(v, std::make_integer_sequence<int, lanes>{});
}

// The same register as lanes / 2 pairs of floats, each pair one 64-bit element.
using Pairs = std::uint64_t __attribute__((vector_size(lanes * sizeof(float))));

// The bits of a vector as another vector type of the same size (std::bit_cast, which lives
// outside this section's instruction set and would pass the vector through memory).
template <class To, class From>
inline To same_bits(From v) {
  static_assert(sizeof(To) == sizeof(From));
  To to;
  std::memcpy(&to, &v, sizeof to);
  return to;
}

// (p[0], p[1]) in every pair of lanes: p[0] in the even lanes, p[1] in the odd ones. One
// 64-bit broadcast from memory (vbroadcastsd), done on integers so that no float is touched.
inline Vec splat_pair(const float* p) {
  std::uint64_t pair;
  std::memcpy(&pair, p, sizeof pair);
  return same_bits<Vec>(pair + Pairs{});
}

constexpr int round_up(int n, int multiple) { return (n + multiple - 1) / multiple * multiple; }

// Calls f(std::integral_constant<int, size>, start) for consecutive blocks of Block items out
// of Total, the last one smaller if Block does not divide Total: the sizes stay compile-time.
template <int Total, int Block, class F>
inline void for_blocks(F&& f) {
  constexpr int full = Total / Block * Block;
  for (int start = 0; start < full; start += Block) f(std::integral_constant<int, Block>{}, start);
  if constexpr (Total % Block != 0) f(std::integral_constant<int, Total % Block>{}, full);
}

// As for_blocks, with the start a compile-time constant too: f(integral_constant size,
// integral_constant start), for kernels whose offsets are computed from the start.
template <int Total, int Block, int Start = 0, class F>
inline void for_static_blocks(F&& f) {
  if constexpr (Start < Total) {
    constexpr int size = Total - Start < Block ? Total - Start : Block;
    f(std::integral_constant<int, size>{}, std::integral_constant<int, Start>{});
    for_static_blocks<Total, Block, Start + Block>(f);
  }
}

// Calls f(std::integral_constant<int, size>, first) over [0, n) in blocks of Block, then of 1.
template <int Block, class F>
inline void for_runtime_blocks(int n, F&& f) {
  int first = 0;
  for (; first + Block <= n; first += Block) f(std::integral_constant<int, Block>{}, first);
  for (; first < n; ++first) f(std::integral_constant<int, 1>{}, first);
}

}  // namespace linconv::kernels::LINCONV_ISA::simd
