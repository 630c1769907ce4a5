// No include guard: for_each_isa.hpp includes it once per instruction set (direct_conv.hpp
// explains the method). The vector code of the stride-1 convolution, in the namespace of the
// section's instruction set: simd::lanes floats a vector, simd::registers registers.
//
// In this order: positions in the lanes (correlate, correlate_weights: any shape, the fallback),
// output channels in the lanes (correlate_weights_by_channel, correlate_by_channel), pairs of
// positions for half a vector of channels (correlate_by_pairs, correlate_weights_by_pairs),
// then DirectPasses, which picks one per pass at compile time.
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
      kernels::direct::copy_row<S.out_w()>(dy + (o * S.out_h() + i) * S.out_w(), wide + o * S.positions() + i * S.wp);
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

// The weight gradient turned around, when out_c is a multiple of the vector width: output
// channels in the lanes instead of positions. With the output gradient transposed to channels
// last, g[q] = dy[:, q] (a vector of `lanes` channels), each column of weights is
//   dw[:, c, u, v] += sum_{i,j} g[i*out_w + j] * in[c, (i+u)*wp + j + v]
// one FMA of a loaded gradient vector with a broadcast input pixel per position. A register
// block keeps Taps taps x Vectors channel vectors of accumulators over the whole image: no
// horizontal sums (each accumulator is a column of dw), only the out_h * out_w real positions
// (the wrapped ones of the wide layout are never computed), and aligned gradient loads.
//
// Loads per FMA decide the speed: each step takes `step` (2) positions, so the pixel that tap
// (u, v) reads at j + 1 is the one tap (u, v + 1) reads at j, one broadcast for both. AVX-512
// (32 registers): 2 vectors x 12 taps (conv3, 32 channels) or 1 x 24 (conv2): 24 accumulators,
// the gradient vectors and a broadcast; 20 loads per 48 FMAs for conv3, 31 for conv2. Intel's
// and AMD's cores issue two loads and two FMAs a cycle, so both stay under the FMA bound.
// Measured on a Xeon (Ice Lake), the blocks alone ran at 94% (conv3) and 72% (conv2) of the FMA
// peak, the whole pass at batch 100 (transposes included) at 61-66%, against 36-40% for the
// positions-in-lanes kernel above. 16 registers (AVX2, SSE): 1 vector x 12 taps. Taps are a
// compile-time range, so every pixel's offset is an immediate.
template <PaddedCorrelation S>
struct ByChannel {
  static constexpr int out_h = S.out_h(), out_w = S.out_w(), pixels = out_h * out_w;
  static constexpr bool applies = S.out_c % simd::lanes == 0;
  static constexpr int vectors = S.out_c / simd::lanes;
  static constexpr int block_vectors = simd::registers == 32 ? (vectors < 2 ? vectors : 2) : 1;
  static constexpr int block_taps = (simd::registers == 32 ? 24 : 12) / block_vectors;
  static constexpr int step = out_w % 2 == 0 ? 2 : 1;

  // The input offset c*plane + u*wp + v of each tap in [First, First + Taps).
  template <int First, int Taps>
  static constexpr std::array<int, Taps> offsets = [] {
    std::array<int, Taps> offset{};
    for (int t = 0; t < Taps; ++t) {
      const int tap = First + t, c = tap / (S.k * S.k), u = tap / S.k % S.k, v = tap % S.k;
      offset[t] = c * S.plane() + u * S.wp + v;
    }
    return offset;
  }();
};

// gt[q, o] = dy[o, q] for Rows x Cols (Rows a multiple of lanes): lanes x lanes blocks through
// simd::transpose, the columns past the last whole block one by one. With `sums`, also
// sums[o] += sum_q dy[o, q] (the bias gradient), added up from the transposed vectors in the
// order of q: one chain of dependent adds per vector of channels, which as a pass of its own
// over gt waited on the adds' latency (3% of conv3's weight gradient on a Xeon, Ice Lake) and
// here runs beside the transposes.
template <int Rows, int Cols>
void channels_last(const float* dy, float* gt, float* sums = nullptr) {
  constexpr int lanes = simd::lanes, whole = Cols / lanes * lanes;
  static_assert(Rows % lanes == 0);
  for (int o = 0; o < Rows; o += lanes) {
    simd::Vec sum{};
    for (int q = 0; q < whole; q += lanes) {
      simd::Vec rows[lanes];
      for (int r = 0; r < lanes; ++r) rows[r] = simd::load(dy + (o + r) * Cols + q);
      simd::transpose(rows);
      for (int r = 0; r < lanes; ++r) simd::store(gt + (q + r) * Rows + o, rows[r]);
      if (sums)
        for (int r = 0; r < lanes; ++r) sum += rows[r];
    }
    for (int q = whole; q < Cols; ++q)
      for (int r = 0; r < lanes; ++r) {
        gt[q * Rows + o + r] = dy[(o + r) * Cols + q];
        sum[r] += dy[(o + r) * Cols + q];
      }
    if (sums)
      for (int r = 0; r < lanes; ++r) sums[o + r] += sum[r];
  }
}

// dw[o, tap] += sum over the image's positions, for the Vectors channel vectors from FirstVector
// and the Taps taps from FirstTap. The input pointer is hidden from the optimiser at every step
// (an empty asm): otherwise GCC's predictive commoning carries the pixels one step shares with
// the next in scalar registers, spills them and runs at half the speed.
template <PaddedCorrelation S, int Vectors, int Taps, int FirstVector, int FirstTap>
void weight_grad_by_channel_block(const float* in, const float* gt, float* dw) {
  using B = ByChannel<S>;
  using simd::Vec;
  constexpr int step = B::step;
  constexpr auto offset = B::template offsets<FirstTap, Taps>;
  Vec acc[Taps][Vectors] = {};
  for (int i = 0; i < B::out_h; ++i) {
    const float* g = gt + i * B::out_w * S.out_c + FirstVector * simd::lanes;
    for (int j = 0; j < B::out_w; j += step) {
      const float* x = in + i * S.wp + j;
      asm("" : "+r"(x));
      Vec grad[step][Vectors];
#pragma GCC unroll 4
      for (int p = 0; p < step; ++p)
#pragma GCC unroll 4
        for (int b = 0; b < Vectors; ++b) grad[p][b] = simd::load(g + (j + p) * S.out_c + b * simd::lanes);
#pragma GCC unroll 32
      for (int t = 0; t < Taps; ++t)
#pragma GCC unroll 4
        for (int p = 0; p < step; ++p) {
          const Vec pixel = simd::splat(x[offset[t] + p]);
#pragma GCC unroll 4
          for (int b = 0; b < Vectors; ++b) acc[t][b] += pixel * grad[p][b];
        }
    }
  }
  for (int t = 0; t < Taps; ++t)
    for (int b = 0; b < Vectors; ++b)
      for (int r = 0; r < simd::lanes; ++r)
        dw[((FirstVector + b) * simd::lanes + r) * S.taps() + FirstTap + t] += acc[t][b][r];
}

// dw[o, c, u, v] += sum_{i,j} in[c, (i + u)*wp + j + v] * dy[o, i, j], from gt = channels_last(dy).
template <PaddedCorrelation S>
void correlate_weights_by_channel(const float* in, const float* gt, float* dw) {
  using B = ByChannel<S>;
  simd::for_static_blocks<B::vectors, B::block_vectors>([&](auto vectors, auto first_vector) {
    simd::for_static_blocks<S.taps(), B::block_taps>([&](auto taps, auto first_tap) {
      weight_grad_by_channel_block<S, vectors, taps, first_vector, first_tap>(in, gt, dw);
    });
  });
}

// The forward correlation with output channels in the lanes, for the same reason as the
// weight gradient above: the tile of correlate_tile loads three unaligned input vectors and
// broadcasts eight weights per tap (11 loads per 24 FMAs) and ran at 55-60% of the peak. Here a
// block is up to `lanes` consecutive positions of one output row times one vector of channels:
//   acc[p] = bias + sum_{c,u,v} wt[c, u, v, :] * in[c, (i+u)*wp + j + p + v]
// with the weights channels last (wt = channels_last(w)). Per kernel row (c, u) it loads K
// weight vectors and broadcasts the P + K - 1 pixels of the row once each, every pixel feeding
// the up to K taps that read it: 5 + 18 loads per 70 FMAs for a 5x5 kernel and P = 14 with
// AVX-512, where 14 accumulators, K weights and a pixel take 20 of the 32 registers (AVX2: 8 +
// K + 1 of 16). At the end the block is transposed in registers (a lanes x lanes transpose, the
// rows past P unused) and stored into y's rows directly: no wide output, no crop. A row is cut
// into equal blocks (28 = 14 + 14 with 16 lanes: no position computed twice, none wrapped);
// where they do not divide it, the last block overlaps the one before. Measured on a Xeon (Ice
// Lake): the blocks alone at 80-84% of the FMA peak for conv2, conv3 and conv3's input
// gradient. Needs K + lanes + 1 registers; SSE's 4 accumulators would wait on the adds'
// latency, so the generic build keeps the tiles.
template <PaddedCorrelation S>
inline constexpr bool correlates_by_channel = simd::lanes >= 8 && S.out_c % simd::lanes == 0 &&
                                              S.out_w() >= simd::lanes / 2 &&
                                              S.k + simd::lanes + 1 <= simd::registers;

// Positions of a row block: the row cut into as few blocks of at most `lanes` as it takes,
// of equal width (rounded up).
template <PaddedCorrelation S>
inline constexpr int row_block = [] {
  const int blocks = (S.out_w() + simd::lanes - 1) / simd::lanes;
  return (S.out_w() + blocks - 1) / blocks;
}();

// The input that kernel row (c, u) reads for outputs (i, j ...), hidden from the optimiser (an
// empty asm, as in weight_grad_by_channel_block: no commoning from one row to the next).
template <PaddedCorrelation S>
inline const float* kernel_row_input(const float* in, int c, int u, int i, int j) {
  const float* x = in + c * S.plane() + (i + u) * S.wp + j;
  asm("" : "+r"(x));
  return x;
}

// w[v] = the weight vector of tap (c, u, v) in a taps-major layout, `stride` floats a tap.
template <PaddedCorrelation S>
inline void load_kernel_row(const float* wt, int stride, int c, int u, simd::Vec (&w)[S.k]) {
#pragma GCC unroll 16
  for (int v = 0; v < S.k; ++v) w[v] = simd::load(wt + ((c * S.k + u) * S.k + v) * stride);
}

// rows[r][0, Floats) at y + at(r), or ReLU_alpha of them with a slope. The activation's vectors
// are all computed before the first is stored: a vector copied out and at once read back in
// part (memcpy of Floats < lanes) stalls on store forwarding, which made the fused pass 30%
// slower than storing and running the activation after it.
template <int Floats, int Rows, class At>
inline void store_rows(const simd::Vec (&rows)[Rows], float* y, kernels::LeakySlope slope, At at) {
  if (!slope) {
    for (int r = 0; r < Rows; ++r) std::memcpy(y + at(r), &rows[r], Floats * sizeof(float));
    return;
  }
  const simd::Vec s = simd::splat(*slope);
  simd::Vec post[Rows];
  for (int r = 0; r < Rows; ++r) post[r] = elementwise::leaky_vector(s, rows[r]);
  for (int r = 0; r < Rows; ++r) std::memcpy(y + at(r), &post[r], Floats * sizeof(float));
}

// y[o, i, j .. j + row_block) for the lanes channels from `first` (y: out_c x out_h x out_w),
// or ReLU_alpha of them with a slope.
template <PaddedCorrelation S>
inline void correlate_row_block(const float* in, const float* wt, const float* bias, float* y, int first, int i,
                                int j, kernels::LeakySlope slope) {
  using simd::Vec;
  constexpr int lanes = simd::lanes, k = S.k, width = row_block<S>;
  // Every accumulator starts at the bias, the rows past `width` too (the transpose moves them into
  // lanes that are never stored). The start is hidden from the optimiser (an empty asm): seeing
  // zeros (`= {}`, or no bias), GCC cleared the array in memory with `rep stos` at every block,
  // 8% of conv3's forward pass on a Xeon (Ice Lake).
  Vec start = bias ? simd::load(bias + first) : Vec{};
  asm("" : "+v"(start));
  Vec acc[lanes];
  for (int p = 0; p < lanes; ++p) acc[p] = start;
  for (int c = 0; c < S.in_c; ++c)
    for (int u = 0; u < k; ++u) {
      const float* x = kernel_row_input<S>(in, c, u, i, j);
      Vec w[k];
      load_kernel_row<S>(wt + first, S.out_c, c, u, w);
#pragma GCC unroll 64
      for (int p = 0; p < width + k - 1; ++p) {
        const Vec pixel = simd::splat(x[p]);
#pragma GCC unroll 16
        for (int v = 0; v < k; ++v)
          if (p - v >= 0 && p - v < width) acc[p - v] += w[v] * pixel;
      }
    }
  simd::transpose(acc);
  constexpr int plane = S.out_h() * S.out_w();
  store_rows<width>(acc, y, slope, [&](int r) { return (first + r) * plane + i * S.out_w() + j; });
}

// y[o, i, j] = bias[o] + sum_{c,u,v} wt[c, u, v, o] * in[c, (i+u)*wp + j + v] (bias may be null),
// or ReLU_alpha of it with a slope.
template <PaddedCorrelation S>
void correlate_by_channel(const float* in, const float* wt, const float* bias, float* y, kernels::LeakySlope slope) {
  constexpr int width = row_block<S>, last = S.out_w() - width;
  for (int i = 0; i < S.out_h(); ++i)
    for (int j = 0; j < S.out_w(); j += width)
      for (int o = 0; o < S.out_c; o += simd::lanes)
        correlate_row_block<S>(in, wt, bias, y, o, i, j < last ? j : last, slope);
}

// Half a vector of output channels (8 with AVX-512: conv1, and conv2's input gradient): two
// positions share a vector, channel o of position 2m + s in lane 2o + s. The weights are
// duplicated into pairs (wt2[tap, 2o + s] = w[o, tap]) and a pixel pair (x[t], x[t + 1]) is one
// 64-bit broadcast, so M pair accumulators hold 2M positions of a row:
//   acc[m] += wt2[c, u, v, :] * (x[2m + v], x[2m + v + 1])
// Per kernel row: K weight loads and 2M + K - 2 pair broadcasts, each shared by the taps of one
// parity, for M * K FMAs (36 loads per 70 FMAs for a 5x5 kernel on 28-wide rows, M = 14). Read
// as 64-bit elements the accumulators are an M x out_c matrix of position pairs, and 8 x 8
// transposes of it put each channel's positions in a row, stored straight into y. Rows are
// covered like correlate_by_channel's, the last block overlapping.
template <PaddedCorrelation S>
struct ByChannelPairs {
  static constexpr int pairs = std::min({S.out_w() / 2, 16, simd::registers - S.k - 2});
  static constexpr bool applies = simd::registers == 32 && 2 * S.out_c == simd::lanes && S.k >= 2 && pairs >= 1;
};

// wt2[t, 2o + s] = w[o, t] for s = 0, 1 (w: Rows x Cols).
template <int Rows, int Cols>
void duplicate_in_pairs(const float* w, float* wt2) {
  for (int t = 0; t < Cols; ++t)
    for (int o = 0; o < Rows; ++o) wt2[t * 2 * Rows + 2 * o] = wt2[t * 2 * Rows + 2 * o + 1] = w[o * Cols + t];
}

// y[:, i, j .. j + 2M) by pairs of positions (y: out_c x out_h x out_w), or ReLU_alpha of them
// with a slope.
template <PaddedCorrelation S>
inline void correlate_row_pairs(const float* in, const float* wt2, const float* bias, float* y, int i, int j,
                                kernels::LeakySlope slope) {
  using simd::Vec;
  constexpr int k = S.k, m_count = ByChannelPairs<S>::pairs, lanes = simd::lanes;
  Vec start{};
  if (bias)
    for (int l = 0; l < lanes; ++l) start[l] = bias[l / 2];
  Vec acc[m_count];
  for (int m = 0; m < m_count; ++m) acc[m] = start;
  for (int c = 0; c < S.in_c; ++c)
    for (int u = 0; u < k; ++u) {
      const float* x = kernel_row_input<S>(in, c, u, i, j);
      Vec w[k];
      load_kernel_row<S>(wt2, lanes, c, u, w);
#pragma GCC unroll 64
      for (int t = 0; t < 2 * m_count + k - 2; ++t) {
        const Vec pixels = simd::splat_pair(x + t);
#pragma GCC unroll 16
        for (int v = 0; v < k; ++v)
          if (t - v >= 0 && (t - v) % 2 == 0 && (t - v) / 2 < m_count) acc[(t - v) / 2] += w[v] * pixels;
      }
    }
  constexpr int plane = S.out_h() * S.out_w(), channels = lanes / 2;
  simd::for_static_blocks<m_count, channels>([&](auto size, auto first) {
    simd::Pairs rows[channels];
    for (int r = 0; r < channels; ++r) rows[r] = r < size ? simd::same_bits<simd::Pairs>(acc[first + r]) : simd::Pairs{};
    simd::transpose(rows);
    simd::Vec vectors[channels];
    for (int o = 0; o < channels; ++o) vectors[o] = simd::same_bits<simd::Vec>(rows[o]);
    store_rows<2 * size>(vectors, y, slope, [&](int o) { return o * plane + i * S.out_w() + j + 2 * first; });
  });
}

// The weight gradient by pairs of positions (8 channels with AVX-512: conv1), the layout of
// correlate_row_pairs: dy channels last in pairs, gt2[i, m, 2o + s] = dy[o, i, 2m + s] (zero
// past the row), and per tap one accumulator whose lane 2o + s sums channel o's products at
// the positions of parity s:
//   acc[tap] += gt2[i, m] * (x[i, 2m + off], x[i, 2m + 1 + off]),  dw[o, tap] += acc[2o] + acc[2o + 1]
// Two pairs a step, so that the pixel pair tap v reads at step m + 1 is the one tap v + 2 reads
// at step m. Per step of two: 2 gradient loads and about 1.4 pair broadcasts per tap, for 2
// FMAs per tap.
template <PaddedCorrelation S>
struct WeightGradPairs {
  static constexpr int pairs = (S.out_w() + 1) / 2;  // of a row, the last one half outside if odd
  // At most 24 taps a block, in blocks of equal size: 25 taps as 13 + 12, not 24 + 1, whose one
  // accumulator would wait on its own FMAs' latency through the whole image.
  static constexpr int block_taps = [] {
    const int blocks = (S.taps() + 23) / 24;
    return (S.taps() + blocks - 1) / blocks;
  }();
  static constexpr bool applies = simd::registers == 32 && 2 * S.out_c == simd::lanes && S.k >= 2;
  // gt2 takes the place of the wide output: out_h rows of `pairs` vectors (the wide rows are
  // wp >= out_w + 1 floats wide per channel).
  static_assert(!applies || std::size_t(S.out_h()) * pairs * simd::lanes <= S.output_floats());
};

// gt2 from dy (out_c x out_h x out_w): per row, 8 x 8 transposes of position pairs. Also
// db[o] += sum over the image of dy[o] (the bias gradient), added up from the transposed
// vectors in the order they are stored, as channels_last does. As a pass of its own over gt2
// it chained 392 dependent adds per image; folded in here, conv1's weight gradient went from
// 31-36% to 35-40% of the FMA peak (Xeon, Ice Lake; three interleaved runs, batch 100).
template <PaddedCorrelation S>
void pairs_last(const float* dy, float* gt2, float* db) {
  using simd::Vec;
  constexpr int channels = simd::lanes / 2, m_count = WeightGradPairs<S>::pairs, out_w = S.out_w();
  Vec sum{};
  for (int i = 0; i < S.out_h(); ++i)
    simd::for_static_blocks<m_count, channels>([&](auto size, auto first) {
      constexpr int size_v = decltype(size)::value, first_v = decltype(first)::value;
      constexpr int floats = std::min(2 * size_v, out_w - 2 * first_v);  // the row's, not the next's
      simd::Pairs rows[channels];
      for (int o = 0; o < channels; ++o) {
        const float* row = dy + (o * S.out_h() + i) * out_w;
        Vec v{};
        if constexpr (floats == simd::lanes)
          v = simd::load(row + 2 * first_v);
        else if constexpr (out_w >= simd::lanes)  // the row's last vector, moved down: no read past it
          v = simd::shift_down<simd::lanes - floats>(simd::load(row + out_w - simd::lanes));
        else
          std::memcpy(&v, row + 2 * first_v, floats * sizeof(float));
        rows[o] = simd::same_bits<simd::Pairs>(v);
      }
      simd::transpose(rows);
      for (int r = 0; r < size_v; ++r) {
        const Vec v = simd::same_bits<Vec>(rows[r]);
        simd::store(gt2 + (i * m_count + first_v + r) * simd::lanes, v);
        sum += v;
      }
    });
  for (int o = 0; o < channels; ++o) db[o] += sum[2 * o] + sum[2 * o + 1];
}

// dw[o, tap] += sum over the image's positions, for the Taps taps from FirstTap.
template <PaddedCorrelation S, int Taps, int FirstTap>
void weight_grad_pairs_block(const float* in, const float* gt2, float* dw) {
  using simd::Vec;
  constexpr int m_count = WeightGradPairs<S>::pairs, channels = simd::lanes / 2;
  constexpr auto offset = ByChannel<S>::template offsets<FirstTap, Taps>;
  Vec acc[Taps] = {};
  for (int i = 0; i < S.out_h(); ++i) {
    const float* g = gt2 + i * m_count * simd::lanes;
    int m = 0;
    for (; m + 2 <= m_count; m += 2) {
      const float* x = in + i * S.wp + 2 * m;
      asm("" : "+r"(x));  // as in weight_grad_by_channel_block: no commoning across steps
      const Vec g0 = simd::load(g + m * simd::lanes), g1 = simd::load(g + (m + 1) * simd::lanes);
#pragma GCC unroll 32
      for (int t = 0; t < Taps; ++t) {
        acc[t] += g0 * simd::splat_pair(x + offset[t]);
        acc[t] += g1 * simd::splat_pair(x + offset[t] + 2);
      }
    }
    if (m < m_count) {
      const float* x = in + i * S.wp + 2 * m;
      const Vec g0 = simd::load(g + m * simd::lanes);
#pragma GCC unroll 32
      for (int t = 0; t < Taps; ++t) acc[t] += g0 * simd::splat_pair(x + offset[t]);
    }
  }
  for (int t = 0; t < Taps; ++t)
    for (int o = 0; o < channels; ++o) dw[o * S.taps() + FirstTap + t] += acc[t][2 * o] + acc[t][2 * o + 1];
}

template <PaddedCorrelation S>
void correlate_weights_by_pairs(const float* in, const float* gt2, float* dw) {
  simd::for_static_blocks<S.taps(), WeightGradPairs<S>::block_taps>(
      [&](auto taps, auto first_tap) { weight_grad_pairs_block<S, taps, first_tap>(in, gt2, dw); });
}

// y[o, i, j] = bias[o] + sum_{c,u,v} w[o, c, u, v] * in[c, (i+u)*wp + j + v], from wt2 =
// duplicate_in_pairs(w) (bias may be null), or ReLU_alpha of it with a slope.
template <PaddedCorrelation S>
void correlate_by_pairs(const float* in, const float* wt2, const float* bias, float* y, kernels::LeakySlope slope) {
  constexpr int step = 2 * ByChannelPairs<S>::pairs, last = S.out_w() - step;
  for (int i = 0; i < S.out_h(); ++i)
    for (int j = 0; j < S.out_w(); j += step) correlate_row_pairs<S>(in, wt2, bias, y, i, j < last ? j : last, slope);
}

}  // namespace direct

// The passes of DirectConv<G> on this instruction set.
template <ConvGeometry G>
struct DirectPasses : DirectLayout<G> {
  using L = DirectLayout<G>;
  static constexpr Isa isa = simd::isa;

  // The kernel k ([out_c, taps] of S) in the layout its correlation reads, in `prepared`: channels
  // last, or each weight twice for the pairs of positions; the tiles of positions read k as it
  // is. Once per pass, not per image: for conv3 it is 4,608 floats moved through a transpose.
  template <PaddedCorrelation S>
  static void lay_out_kernel(const float* k, float* prepared) {
    if constexpr (direct::correlates_by_channel<S>)
      direct::channels_last<S.out_c, S.taps()>(k, prepared);
    else if constexpr (direct::ByChannelPairs<S>::applies)
      direct::duplicate_in_pairs<S.out_c, S.taps()>(k, prepared);
  }

  // dst[image] = the correlation S of pad(src[image]) with the kernel k, plus bias (may be
  // null), for n images: with channels in the lanes, by pairs of positions or in tiles of
  // positions, whichever applies (direct_conv.hpp). `prepared` holds lay_out_kernel<S>(k);
  // `wide` takes the tiles' wide output. With a slope, dst holds ReLU_alpha of the correlation.
  template <PaddedCorrelation S, int Pad>
  static void correlate_images(const float* src, std::size_t src_size, const float* k, const float* bias,
                               float* dst, std::size_t dst_size, int n, float* padded, float* wide,
                               const float* prepared, kernels::LeakySlope slope = std::nullopt) {
    for (int image = 0; image < n; ++image) {
      kernels::direct::pad<S, Pad>(src + image * src_size, padded);
      float* y = dst + image * dst_size;
      if constexpr (direct::correlates_by_channel<S>) {
        direct::correlate_by_channel<S>(padded, prepared, bias, y, slope);
      } else if constexpr (direct::ByChannelPairs<S>::applies) {
        direct::correlate_by_pairs<S>(padded, prepared, bias, y, slope);
      } else {
        direct::correlate<S>(padded, k, bias, wide);
        kernels::direct::crop<S>(wide, y);
        if (slope) elementwise::leaky(*slope, y, y, dst_size);
      }
    }
  }

  // The forward pass's kernel layout, in scratch: what forward_prepared reads.
  static void prepare_forward(const float* w, float* scratch) {
    lay_out_kernel<L::fwd>(w, scratch + L::weights_last);
  }
  // y = conv(x, w) + b for n images, after prepare_forward(w, scratch); with a slope,
  // ReLU_alpha of it.
  static void forward_prepared(const float* x, const float* w, const float* b, float* y, int n, float* scratch,
                               kernels::LeakySlope slope = std::nullopt) {
    correlate_images<L::fwd, G.pad>(x, L::in_size, w, b, y, L::out_size, n, scratch + L::padded_input,
                                    scratch + L::wide_output, scratch + L::weights_last, slope);
  }
  static void forward(const float* x, const float* w, const float* b, float* y, int n, float* scratch) {
    prepare_forward(w, scratch);
    forward_prepared(x, w, b, y, n, scratch);
  }

  // dw += the weight gradient, db += the bias gradient: with channels in the lanes where they
  // fill whole vectors, by pairs of positions where they fill half of one, else with positions
  // in the lanes. Each lays dy out its own way in the wide output's place (no larger than it).
  static void weight_gradient(const float* x, const float* dy, float* dw, float* db, int n, float* scratch) {
    constexpr auto S = L::fwd;
    float* laid = scratch + L::wide_output;
    float* padded = scratch + L::padded_input;
    for (int image = 0; image < n; ++image) {
      const float* grad = dy + image * L::out_size;
      if constexpr (direct::ByChannel<S>::applies) {
        direct::channels_last<G.out_c, G.pixels()>(grad, laid, db);
      } else if constexpr (direct::WeightGradPairs<S>::applies) {
        direct::pairs_last<S>(grad, laid, db);
      } else {
        direct::widen<S>(grad, laid);
        direct::add_channel_sums<S>(laid, db);
      }
      kernels::direct::pad<S, G.pad>(x + image * L::in_size, padded);
      if constexpr (direct::ByChannel<S>::applies)
        direct::correlate_weights_by_channel<S>(padded, laid, dw);
      else if constexpr (direct::WeightGradPairs<S>::applies)
        direct::correlate_weights_by_pairs<S>(padded, laid, dw);
      else
        direct::correlate_weights<S>(padded, laid, dw);
    }
  }

  // Both: dw += weight gradient, db += bias gradient, dx = input gradient (dx may be null).
  static void backward(const float* x, const float* w, const float* dy, float* dx, float* dw, float* db,
                       int n, float* scratch) {
    weight_gradient(x, dy, dw, db, n, scratch);
    if (dx) input_gradient(w, dy, dx, n, scratch);
  }

  // The input gradient's kernel, in scratch: flipped (transposed and rotated), then laid out.
  // It does not overlap what weight_gradient uses, so the two passes can alternate per image.
  static void prepare_input_gradient(const float* w, float* scratch) {
    kernels::direct::transpose_and_rotate<G.out_c, G.in_c, G.kernel>(w, scratch + L::flipped_weights);
    lay_out_kernel<L::bwd>(scratch + L::flipped_weights, scratch + L::weights_last);
  }
  // dx = the input gradient, the correlation of the padded dy with the flipped kernel, for n
  // images, after prepare_input_gradient(w, scratch).
  static void input_gradient_prepared(const float* dy, float* dx, int n, float* scratch) {
    correlate_images<L::bwd, L::back_pad>(dy, L::out_size, scratch + L::flipped_weights, nullptr, dx, L::in_size,
                                          n, scratch + L::padded_grad, scratch + L::wide_input_grad,
                                          scratch + L::weights_last);
  }
  static void input_gradient(const float* w, const float* dy, float* dx, int n, float* scratch) {
    prepare_input_gradient(w, scratch);
    input_gradient_prepared(dy, dx, n, scratch);
  }
};

}  // namespace linconv::kernels::LINCONV_ISA
