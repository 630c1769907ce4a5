// No include guard: for_each_isa.hpp includes it once per instruction set (direct_conv.hpp
// explains the method). The vector code of the stride-1 convolution, in the namespace of the
// section's instruction set: simd::lanes floats a vector, simd::registers registers.
namespace linconv::kernels::LINCONV_ISA {
namespace direct {

// One tile of positions [q, q + tile) for Rows output channels: 2*Rows vector accumulators stay
// in registers while every tap adds w[o, tap] * (two vectors of the input).
template <PaddedCorrelation S, int Rows>
inline void correlate_tile(const float* in, const float* w, const float* bias, float* out, int q) {
  using simd::Vec;
  Vec acc[Rows][2];
  for (int r = 0; r < Rows; ++r) acc[r][0] = acc[r][1] = simd::splat(bias ? bias[r] : 0.0f);
  for (int c = 0; c < S.in_c; ++c)
    for (int u = 0; u < S.k; ++u) {
      const float* x = in + c * S.plane() + u * S.wp + q;
      const float* taps = w + (c * S.k + u) * S.k;
      for (int v = 0; v < S.k; ++v) {
        const Vec x0 = simd::load(x + v), x1 = simd::load(x + v + simd::lanes);
        for (int r = 0; r < Rows; ++r) {
          const Vec weight = simd::splat(taps[r * S.taps() + v]);
          acc[r][0] += weight * x0;
          acc[r][1] += weight * x1;
        }
      }
    }
  for (int r = 0; r < Rows; ++r) {
    simd::store(out + r * S.positions() + q, acc[r][0]);
    simd::store(out + r * S.positions() + q + simd::lanes, acc[r][1]);
  }
}

// out[o, q] = bias[o] + sum over taps (bias may be null), w as [out_c, in_c, k, k].
template <PaddedCorrelation S>
void correlate(const float* in, const float* w, const float* bias, float* out) {
  constexpr int rows = simd::registers / 4;  // half the registers hold accumulators
  for (int q = 0; q < S.positions(); q += 2 * simd::lanes)  // tile by tile: its input window stays in L1
    simd::for_blocks<S.out_c, rows>([&](auto block, int o) {
      correlate_tile<S, decltype(block)::value>(in, w + o * S.taps(), bias ? bias + o : nullptr,
                                                out + o * S.positions(), q);
    });
}

// The output gradient with the channels innermost: grad_t[p, o] = dy[o, p], zero for o from
// out_c up to a whole number of vectors (grad_channels).
template <PaddedCorrelation S>
constexpr int grad_channels = simd::round_up(S.out_c, simd::lanes);

template <PaddedCorrelation S>
void transpose_grad(const float* dy, float* grad_t) {
  constexpr int pixels = S.out_h() * S.out_w(), channels = grad_channels<S>;
  for (int p = 0; p < pixels; ++p) {
    for (int o = 0; o < S.out_c; ++o) grad_t[p * channels + o] = dy[o * pixels + p];
    std::fill(grad_t + p * channels + S.out_c, grad_t + (p + 1) * channels, 0.0f);
  }
}

// dw[o, tap] += sum_{i,j} in[i*wp + j + offset(tap)] * grad_t[i, j, o] for Taps consecutive
// taps and Vectors vectors of channels from first_o: one input value broadcast per tap and
// pixel, Taps * Vectors accumulators in registers, no horizontal sums.
template <PaddedCorrelation S, int Taps, int Vectors>
inline void weight_grad_block(const float* in, const float* grad_t, float* dw, int first_tap, int first_o) {
  using simd::Vec;
  constexpr int channels = grad_channels<S>;
  int offset[Taps];
  for (int t = 0; t < Taps; ++t) {
    const int tap = first_tap + t, c = tap / (S.k * S.k), u = tap / S.k % S.k, v = tap % S.k;
    offset[t] = c * S.plane() + u * S.wp + v;
  }
  Vec acc[Taps][Vectors] = {};
  for (int i = 0; i < S.out_h(); ++i)
    for (int j = 0; j < S.out_w(); ++j) {
      const float* g = grad_t + (i * S.out_w() + j) * channels + first_o;
      Vec grad[Vectors];
      for (int v = 0; v < Vectors; ++v) grad[v] = simd::load(g + v * simd::lanes);
      const float* x = in + i * S.wp + j;
      for (int t = 0; t < Taps; ++t) {
        const Vec value = simd::splat(x[offset[t]]);
        for (int v = 0; v < Vectors; ++v) acc[t][v] += value * grad[v];
      }
    }
  for (int v = 0; v < Vectors; ++v)
    for (int t = 0; t < Taps; ++t)
      for (int l = 0; l < simd::lanes; ++l)
        if (const int o = first_o + v * simd::lanes + l; o < S.out_c)
          dw[o * S.taps() + first_tap + t] += acc[t][v][l];
}

// dw[o, c, u, v] += sum_{i,j} in[c, (i + u)*wp + j + v] * dy[o, i, j], from grad_t.
template <PaddedCorrelation S>
void correlate_weights(const float* in, const float* grad_t, float* dw) {
  constexpr int vectors = grad_channels<S> / simd::lanes, per_block = std::min(vectors, 4);
  constexpr int taps = simd::registers / 2 / per_block;  // half the registers hold accumulators
  simd::for_blocks<vectors, per_block>([&](auto channel_vectors, int v) {
    simd::for_blocks<S.taps(), taps>([&](auto tap_block, int tap) {
      weight_grad_block<S, decltype(tap_block)::value, decltype(channel_vectors)::value>(
          in, grad_t, dw, tap, v * simd::lanes);
    });
  });
}

// db[o] += sum_p grad_t[p, o], a vector of channels at a time.
template <PaddedCorrelation S>
void add_channel_sums(const float* grad_t, float* db) {
  constexpr int pixels = S.out_h() * S.out_w(), channels = grad_channels<S>;
  for (int first = 0; first < channels; first += simd::lanes) {
    simd::Vec acc{};
    for (int p = 0; p < pixels; ++p) acc += simd::load(grad_t + p * channels + first);
    for (int l = 0; l < simd::lanes && first + l < S.out_c; ++l) db[first + l] += acc[l];
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
      direct::transpose_grad<L::fwd>(grad, scratch + L::transposed_grad);
      direct::add_channel_sums<L::fwd>(scratch + L::transposed_grad, db);
      kernels::direct::pad<L::fwd, G.pad>(x + image * L::in_size, scratch + L::padded_input);
      direct::correlate_weights<L::fwd>(scratch + L::padded_input, scratch + L::transposed_grad, dw);
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
