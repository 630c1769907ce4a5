#pragma once
// Stride-1 convolution kernels specialised by their compile-time shapes: no im2col, no GEMM
// library, no allocation.
//
// The trick: zero-pad each input plane to hp x wp and flatten it. Output (i, j) then reads the
// input at q + u*wp + v with q = i*wp + j, so a whole output plane is ONE 1-D correlation over q
// in [0, out_h * wp), with the offsets u*wp + v fixed per kernel tap. The positions with
// j >= out_w wrap into the next row: they are computed and thrown away (out_w/wp of the work is
// useful: 28/32 for a 5x5 "same" convolution). Every inner loop is then a run of contiguous,
// unit-stride vector loads, and the loop bounds are constants the compiler unrolls.
//
//   forward           y  = correlate(pad(x), W) + b
//   weight gradient   dW += correlate_weights(pad(x), dy^T)      (channels innermost in dy^T)
//   input gradient    dx = correlate(pad'(dy), flip(W))                  (pad' = K - 1 - pad)
// The input gradient is the forward correlation of the padded output gradient with the kernel
// transposed (channels in <-> out) and rotated by 180 degrees.
#include <algorithm>
#include <cstddef>
#include <type_traits>

#include "linconv/kernels.hpp"
#include "linconv/simd.hpp"

namespace linconv::kernels {

// Calls f(std::integral_constant<int, size>, start) for consecutive blocks of Block items out
// of Total, the last one smaller if Block does not divide Total: the sizes stay compile-time.
template <int Total, int Block, class F>
inline void for_blocks(F&& f) {
  constexpr int full = Total / Block * Block;
  for (int start = 0; start < full; start += Block) f(std::integral_constant<int, Block>{}, start);
  if constexpr (Total % Block != 0) f(std::integral_constant<int, Total % Block>{}, full);
}

// out[o, q] = sum_{c,u,v} w[o, c, u, v] * in[c, q + u*wp + v] over zero-padded hp x wp input planes.
struct PaddedCorrelation {
  int in_c, out_c, k;  // channels in and out, kernel size
  int hp, wp;          // the padded input plane

  // Positions computed per output channel, a multiple of the tile. Past out_h * wp they are padding.
  static constexpr int tile = 2 * simd::lanes;
  constexpr int out_h() const { return hp - k + 1; }
  constexpr int out_w() const { return wp - k + 1; }
  constexpr int positions() const { return simd::round_up(out_h() * wp, tile); }
  constexpr int plane() const { return hp * wp; }
  constexpr int taps() const { return in_c * k * k; }
  // The padded input, with the zeros that the last tile of the last plane reads beyond it.
  constexpr std::size_t input_floats() const {
    return std::size_t(in_c) * plane() + (k - 1) + (positions() - out_h() * wp);
  }
  constexpr std::size_t output_floats() const { return std::size_t(out_c) * positions(); }
};

namespace direct {

// padded[c, i + Pad, j + Pad] = x[c, i, j], zero elsewhere (and in the tail input_floats reads).
template <PaddedCorrelation S, int Pad>
void pad(const float* x, float* padded) {
  constexpr int h = S.hp - 2 * Pad, w = S.wp - 2 * Pad;
  std::fill(padded, padded + S.input_floats(), 0.0f);
  for (int c = 0; c < S.in_c; ++c)
    for (int i = 0; i < h; ++i)
      std::copy_n(x + (c * h + i) * w, w, padded + c * S.plane() + (i + Pad) * S.wp + Pad);
}

// y[o, i, j] = out[o, i*wp + j] for j < out_w: drops the wrapped positions.
template <PaddedCorrelation S>
void crop(const float* out, float* y) {
  for (int o = 0; o < S.out_c; ++o)
    for (int i = 0; i < S.out_h(); ++i)
      std::copy_n(out + o * S.positions() + i * S.wp, S.out_w(), y + (o * S.out_h() + i) * S.out_w());
}

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
  for (int q = 0; q < S.positions(); q += S.tile)  // tile by tile: its input window stays in L1
    for_blocks<S.out_c, rows>([&](auto block, int o) {
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
  for_blocks<vectors, per_block>([&](auto channel_vectors, int v) {
    for_blocks<S.taps(), taps>([&](auto tap_block, int tap) {
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

// flipped[c, o, u, v] = w[o, c, k-1-u, k-1-v].
template <int O, int C, int K>
void transpose_and_rotate(const float* w, float* flipped) {
  for (int o = 0; o < O; ++o)
    for (int c = 0; c < C; ++c)
      for (int t = 0; t < K * K; ++t)
        flipped[(c * O + o) * K * K + t] = w[(o * C + c) * K * K + (K * K - 1 - t)];
}

}  // namespace direct

// The convolution of geometry G through the padded correlation, when it applies (stride 1, and
// padding at most K - 1 so that the input gradient is a correlation too, and a kernel that fits
// the padded input: Conv's own check reports one that does not); otherwise the im2col kernels of
// kernels.hpp run.
template <ConvGeometry G>
struct DirectConv {
  static constexpr bool applies = G.stride == 1 && G.pad <= G.kernel - 1 && G.kernel <= G.in_h + 2 * G.pad &&
                                  G.kernel <= G.in_w + 2 * G.pad;
  static constexpr int back_pad = G.kernel - 1 - G.pad;
  static constexpr PaddedCorrelation fwd{G.in_c, G.out_c, G.kernel, G.in_h + 2 * G.pad, G.in_w + 2 * G.pad};
  static constexpr PaddedCorrelation bwd{G.out_c, G.in_c, G.kernel, G.out_h + 2 * back_pad,
                                         G.out_w + 2 * back_pad};
  static_assert(!applies || (fwd.out_h() == G.out_h && fwd.out_w() == G.out_w && bwd.out_h() == G.in_h &&
                             bwd.out_w() == G.in_w));

  // Scratch: the padded input and wide output (forward), then for the backward pass the
  // transposed and the padded output gradient, the wide input gradient and the flipped kernel.
  static constexpr std::size_t padded_input = 0;
  static constexpr std::size_t wide_output = padded_input + fwd.input_floats();
  static constexpr std::size_t transposed_grad = wide_output + fwd.output_floats();
  static constexpr std::size_t padded_grad =
      transposed_grad + std::size_t(G.pixels()) * direct::grad_channels<fwd>;
  static constexpr std::size_t wide_input_grad = padded_grad + bwd.input_floats();
  static constexpr std::size_t flipped_weights = wide_input_grad + bwd.output_floats();
  static constexpr std::size_t scratch_floats = flipped_weights + std::size_t(G.out_c) * G.patch();

  static constexpr std::size_t in_size = std::size_t(G.in_c) * G.in_h * G.in_w;
  static constexpr std::size_t out_size = std::size_t(G.out_c) * G.pixels();

  static void forward(const float* x, const float* w, const float* b, float* y, int n, float* scratch) {
    for (int image = 0; image < n; ++image) {
      direct::pad<fwd, G.pad>(x + image * in_size, scratch + padded_input);
      direct::correlate<fwd>(scratch + padded_input, w, b, scratch + wide_output);
      direct::crop<fwd>(scratch + wide_output, y + image * out_size);
    }
  }

  static void backward(const float* x, const float* w, const float* dy, float* dx, float* dw, float* db,
                       int n, float* scratch) {
    if (dx) direct::transpose_and_rotate<G.out_c, G.in_c, G.kernel>(w, scratch + flipped_weights);
    for (int image = 0; image < n; ++image) {
      const float* grad = dy + image * out_size;
      direct::transpose_grad<fwd>(grad, scratch + transposed_grad);
      direct::add_channel_sums<fwd>(scratch + transposed_grad, db);
      direct::pad<fwd, G.pad>(x + image * in_size, scratch + padded_input);
      direct::correlate_weights<fwd>(scratch + padded_input, scratch + transposed_grad, dw);
      if (dx) {
        direct::pad<bwd, back_pad>(grad, scratch + padded_grad);
        direct::correlate<bwd>(scratch + padded_grad, scratch + flipped_weights, nullptr,
                               scratch + wide_input_grad);
        direct::crop<bwd>(scratch + wide_input_grad, dx + image * in_size);
      }
    }
  }
};

}  // namespace linconv::kernels
