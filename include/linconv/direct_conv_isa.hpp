// No include guard: for_each_isa.hpp includes it once per instruction set (direct_conv.hpp
// explains the method). The vector code of the stride-1 convolution, in the namespace of the
// section's instruction set: simd::lanes floats a vector, simd::registers registers.
namespace linconv::kernels::LINCONV_ISA {
namespace direct {

// Positions a tile covers, in vectors (Cols), and output channels a block holds (Rows): Rows *
// Cols accumulators stay in registers while every tap loads Cols vectors of the input (at an
// offset u*wp + v: unaligned, which costs little, see below) and broadcasts Rows weights, each
// feeding Cols FMAs. With AVX-512's 32 registers 8 x 3 = 24 accumulators: 11 loads per 24 FMAs,
// under the 2 loads a cycle that Intel (Ice Lake, Sapphire Rapids) and AMD (Zen 4, 5) cores
// issue beside their 2 FMAs. With 16 registers 4 x 2 = 8 accumulators, the input and one
// broadcast. Measured on a Xeon (Ice Lake): loads made aligned (a wrong result, for the test)
// ran no faster, so split cache lines are not what limits this loop; unrolling the taps of a
// row was worth 8%.
inline constexpr int tile_cols = simd::registers == 32 ? 3 : 2;
inline constexpr int block_rows = simd::registers == 32 ? 8 : 4;

// One tile of positions [q, q + Cols * lanes) for Rows output channels.
template <PaddedCorrelation S, int Rows>
inline void correlate_tile(const float* in, const float* w, const float* bias, float* out, int q) {
  using simd::Vec;
  constexpr int cols = tile_cols;
  Vec acc[Rows][cols];
  for (int r = 0; r < Rows; ++r)
    for (int j = 0; j < cols; ++j) acc[r][j] = simd::splat(bias ? bias[r] : 0.0f);
  for (int c = 0; c < S.in_c; ++c)
    for (int u = 0; u < S.k; ++u) {
      const float* x = in + c * S.plane() + u * S.wp + q;
      const float* taps = w + (c * S.k + u) * S.k;
#pragma GCC unroll 16
      for (int v = 0; v < S.k; ++v) {
        Vec input[cols];
        for (int j = 0; j < cols; ++j) input[j] = simd::load(x + v + j * simd::lanes);
        for (int r = 0; r < Rows; ++r) {
          const Vec weight = simd::splat(taps[r * S.taps() + v]);
          for (int j = 0; j < cols; ++j) acc[r][j] += weight * input[j];
        }
      }
    }
  for (int r = 0; r < Rows; ++r)
    for (int j = 0; j < cols; ++j) simd::store(out + r * S.positions() + q + j * simd::lanes, acc[r][j]);
}

// out[o, q] = bias[o] + sum over taps (bias may be null), w as [out_c, in_c, k, k].
template <PaddedCorrelation S>
void correlate(const float* in, const float* w, const float* bias, float* out) {
  static_assert(S.positions() % (tile_cols * simd::lanes) == 0);
  for (int q = 0; q < S.positions(); q += tile_cols * simd::lanes)  // tile by tile: its input window stays in L1
    simd::for_blocks<S.out_c, block_rows>([&](auto block, int o) {
      correlate_tile<S, decltype(block)::value>(in, w + o * S.taps(), bias ? bias + o : nullptr,
                                                out + o * S.positions(), q);
    });
}

// The output gradient in the forward correlation's wide layout: wide[o, i*wp + j] = dy[o, i, j]
// for j < out_w, zero at the wrapped positions and past out_h * wp, so that it lines up with
// the positions of the padded input.
template <PaddedCorrelation S>
void widen(const float* dy, float* wide) {
  std::fill(wide, wide + S.output_floats(), 0.0f);
  for (int o = 0; o < S.out_c; ++o)
    for (int i = 0; i < S.out_h(); ++i)
      std::copy_n(dy + (o * S.out_h() + i) * S.out_w(), S.out_w(), wide + o * S.positions() + i * S.wp);
}

// Output channels and taps a weight-gradient block holds: Rows * Taps accumulators in
// registers, fed per vector of positions by Rows aligned loads of the gradient and Taps
// unaligned loads of the input (10 loads per 24 FMAs with AVX-512; 7 per 10 with AVX2).
inline constexpr int grad_rows = simd::registers == 32 ? 4 : 2;
inline constexpr int grad_taps = simd::registers == 32 ? 6 : 5;

// dw[o, tap] += sum_q in[q + offset(tap)] * wide[o, q] for Rows channels from first_o and Taps
// taps from first_tap: positions in the lanes, as in the forward correlation, and one
// horizontal sum per weight and image at the end.
template <PaddedCorrelation S, int Rows, int Taps>
inline void weight_grad_block(const float* in, const float* wide, float* dw, int first_o, int first_tap) {
  using simd::Vec;
  const float* x[Taps];
  for (int t = 0; t < Taps; ++t) {
    const int tap = first_tap + t, c = tap / (S.k * S.k), u = tap / S.k % S.k, v = tap % S.k;
    x[t] = in + c * S.plane() + u * S.wp + v;
  }
  const float* g = wide + first_o * S.positions();
  Vec acc[Rows][Taps] = {};
  for (int q = 0; q < S.positions(); q += simd::lanes) {
    Vec grad[Rows];
    for (int r = 0; r < Rows; ++r) grad[r] = simd::load(g + r * S.positions() + q);
    for (int t = 0; t < Taps; ++t) {
      const Vec input = simd::load(x[t] + q);
      for (int r = 0; r < Rows; ++r) acc[r][t] += grad[r] * input;
    }
  }
  for (int r = 0; r < Rows; ++r)
    for (int t = 0; t < Taps; ++t) dw[(first_o + r) * S.taps() + first_tap + t] += simd::sum(acc[r][t]);
}

// dw[o, c, u, v] += sum_{i,j} in[c, (i + u)*wp + j + v] * dy[o, i, j], from the widened dy.
template <PaddedCorrelation S>
void correlate_weights(const float* in, const float* wide, float* dw) {
  simd::for_blocks<S.out_c, grad_rows>([&](auto rows, int o) {
    simd::for_blocks<S.taps(), grad_taps>([&](auto taps, int tap) {
      weight_grad_block<S, decltype(rows)::value, decltype(taps)::value>(in, wide, dw, o, tap);
    });
  });
}

// db[o] += sum_q wide[o, q].
template <PaddedCorrelation S>
void add_channel_sums(const float* wide, float* db) {
  for (int o = 0; o < S.out_c; ++o) {
    simd::Vec acc{};
    for (int q = 0; q < S.positions(); q += simd::lanes) acc += simd::load(wide + o * S.positions() + q);
    db[o] += simd::sum(acc);
  }
}

}  // namespace direct

// The passes of DirectConv<G> on this instruction set.
template <ConvGeometry G>
struct DirectPasses : DirectLayout<G> {
  using L = DirectLayout<G>;
  static constexpr Isa isa = simd::isa;

  static void forward(const float* x, const float* w, const float* b, float* y, int n, float* scratch) {
    for (int image = 0; image < n; ++image) {
      kernels::direct::pad<L::fwd, G.pad>(x + image * L::in_size, scratch + L::padded_input);
      direct::correlate<L::fwd>(scratch + L::padded_input, w, b, scratch + L::wide_output);
      kernels::direct::crop<L::fwd>(scratch + L::wide_output, y + image * L::out_size);
    }
  }

  static void backward(const float* x, const float* w, const float* dy, float* dx, float* dw, float* db,
                       int n, float* scratch) {
    if (dx) kernels::direct::transpose_and_rotate<G.out_c, G.in_c, G.kernel>(w, scratch + L::flipped_weights);
    for (int image = 0; image < n; ++image) {
      const float* grad = dy + image * L::out_size;
      direct::widen<L::fwd>(grad, scratch + L::wide_output);
      direct::add_channel_sums<L::fwd>(scratch + L::wide_output, db);
      kernels::direct::pad<L::fwd, G.pad>(x + image * L::in_size, scratch + L::padded_input);
      direct::correlate_weights<L::fwd>(scratch + L::padded_input, scratch + L::wide_output, dw);
      if (dx) {
        kernels::direct::pad<L::bwd, L::back_pad>(grad, scratch + L::padded_grad);
        direct::correlate<L::bwd>(scratch + L::padded_grad, scratch + L::flipped_weights, nullptr,
                                  scratch + L::wide_input_grad);
        kernels::direct::crop<L::bwd>(scratch + L::wide_input_grad, dx + image * L::in_size);
      }
    }
  }
};

}  // namespace linconv::kernels::LINCONV_ISA
