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
//   weight gradient   dW += correlate_weights(pad(x), wide(dy))  (dy laid out as the output)
//   input gradient    dx = correlate(pad'(dy), flip(W))                  (pad' = K - 1 - pad)
// The input gradient is the forward correlation of the padded output gradient with the kernel
// transposed (channels in <-> out) and rotated by 180 degrees.
//
// Each pass puts one of two things in the vector lanes, chosen at compile time:
//   - positions q (correlate, correlate_weights): any channel count; a tap's weight is
//     broadcast and the input read as unaligned vectors at the tap's offset;
//   - output channels, when they fill whole vectors (correlate_by_channel,
//     correlate_weights_by_channel): the weights (forward) or dy (weight gradient) are first
//     transposed to channels last, a vector of channels meets a broadcast input pixel, and the
//     pixels a row of taps shares are broadcast once. Fewer loads per FMA, all aligned, and
//     no wrapped positions: 60-80% of the FMA peak where the first way gave 36-60%.
//
// The vector code (direct_conv_isa.hpp) is compiled once per instruction set (AVX-512, AVX2,
// generic; for_each_isa.hpp) and DirectConv picks one at run time (isa.hpp). This file holds
// what does not depend on it: the geometry, the scalar copies, and a scratch layout that fits
// the widest vectors, so that the callers' buffers suit every instruction set.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <optional>

#include "linconv/elementwise.hpp"
#include "linconv/isa.hpp"
#include "linconv/kernels.hpp"

namespace linconv::kernels {

// The widest vector of any instruction set, in floats: the scratch layout is padded to it.
inline constexpr int widest_lanes = 16;

// out[o, q] = sum_{c,u,v} w[o, c, u, v] * in[c, q + u*wp + v] over zero-padded hp x wp input planes.
struct PaddedCorrelation {
  int in_c, out_c, k;  // channels in and out, kernel size
  int hp, wp;          // the padded input plane

  // Positions computed per output channel: a multiple of the widest tile (three vectors of 16
  // floats), which every instruction set's tile divides. Past out_h * wp they are padding.
  static constexpr int tile = 3 * widest_lanes;
  constexpr int out_h() const { return hp - k + 1; }
  constexpr int out_w() const { return wp - k + 1; }
  constexpr int positions() const { return (out_h() * wp + tile - 1) / tile * tile; }
  constexpr int plane() const { return hp * wp; }
  constexpr int taps() const { return in_c * k * k; }
  // The padded input, with the zeros that the last tile of the last plane reads beyond it.
  constexpr std::size_t input_floats() const {
    return std::size_t(in_c) * plane() + (k - 1) + (positions() - out_h() * wp);
  }
  constexpr std::size_t output_floats() const { return std::size_t(out_c) * positions(); }
};

namespace direct {

// dst[0, W) = src[0, W), W a constant: memcpy, which the compiler expands inline into a few
// vector moves, where std::copy_n (memmove's semantics) became a call per row under the
// AVX-512 target: 3-6% of a training step went to copying the 28 floats of a row.
template <int W>
inline void copy_row(const float* src, float* dst) {
  std::memcpy(dst, src, W * sizeof(float));
}

// padded[c, i + Pad, j + Pad] = x[c, i, j], zero elsewhere (and in the tail input_floats reads).
template <PaddedCorrelation S, int Pad>
void pad(const float* x, float* padded) {
  constexpr int h = S.hp - 2 * Pad, w = S.wp - 2 * Pad;
  std::fill(padded, padded + S.input_floats(), 0.0f);
  for (int c = 0; c < S.in_c; ++c)
    for (int i = 0; i < h; ++i)
      copy_row<w>(x + (c * h + i) * w, padded + c * S.plane() + (i + Pad) * S.wp + Pad);
}

// y[o, i, j] = out[o, i*wp + j] for j < out_w: drops the wrapped positions.
template <PaddedCorrelation S>
void crop(const float* out, float* y) {
  for (int o = 0; o < S.out_c; ++o)
    for (int i = 0; i < S.out_h(); ++i)
      copy_row<S.out_w()>(out + o * S.positions() + i * S.wp, y + (o * S.out_h() + i) * S.out_w());
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

// What a forward pass stores of each output y: y itself (no slope), or ReLU_alpha of it (a Conv
// fused with its activation, when no backward pass reads y): y (y >= 0), slope * y (y < 0),
// elementwise::leaky's formula on the same floats, so bit-identical to storing y and running
// the activation over it, without the activation's pass over each image's output.
using LeakySlope = std::optional<float>;

// The geometry of G's padded correlations, and the layout of their scratch.
template <ConvGeometry G>
struct DirectLayout {
  // Stride 1, and padding at most K - 1 so that the input gradient is a correlation too, and a
  // kernel that fits the padded input (Conv's own check reports one that does not).
  static constexpr bool applies = G.stride == 1 && G.pad <= G.kernel - 1 && G.kernel <= G.in_h + 2 * G.pad &&
                                  G.kernel <= G.in_w + 2 * G.pad;
  static constexpr int back_pad = G.kernel - 1 - G.pad;
  static constexpr PaddedCorrelation fwd{G.in_c, G.out_c, G.kernel, G.in_h + 2 * G.pad, G.in_w + 2 * G.pad};
  static constexpr PaddedCorrelation bwd{G.out_c, G.in_c, G.kernel, G.out_h + 2 * back_pad,
                                         G.out_w + 2 * back_pad};
  static_assert(!applies || (fwd.out_h() == G.out_h && fwd.out_w() == G.out_w && bwd.out_h() == G.in_h &&
                             bwd.out_w() == G.in_w));

  // Scratch: the padded input and the wide output (forward; in the backward pass the wide
  // output gradient), then the padded output gradient, the wide input gradient, the flipped
  // kernel, and the kernel (forward) or the flipped kernel (input gradient) channels last, its
  // weights twice each for the kernels that pair positions.
  static constexpr std::size_t padded_input = 0;
  static constexpr std::size_t wide_output = padded_input + fwd.input_floats();  // or dy channels last
  static_assert(!applies || fwd.output_floats() >= std::size_t(G.out_c) * G.pixels());
  static constexpr std::size_t padded_grad = wide_output + fwd.output_floats();
  static constexpr std::size_t wide_input_grad = padded_grad + bwd.input_floats();
  static constexpr std::size_t flipped_weights = wide_input_grad + bwd.output_floats();
  static constexpr std::size_t weights_last = flipped_weights + std::size_t(G.out_c) * G.patch();  // channels last
  static constexpr std::size_t scratch_floats = weights_last + 2 * std::size_t(G.out_c) * G.patch();

  static constexpr std::size_t in_size = std::size_t(G.in_c) * G.in_h * G.in_w;
  static constexpr std::size_t out_size = std::size_t(G.out_c) * G.pixels();
};

}  // namespace linconv::kernels

#define LINCONV_ISA_BODY "linconv/direct_conv_isa.hpp"
#include "linconv/for_each_isa.hpp"

namespace linconv::kernels {

// The convolution of geometry G through the padded correlation, when it `applies`; otherwise
// the im2col kernels of kernels.hpp run. Each call runs the active instruction set's kernels.
template <ConvGeometry G>
struct DirectConv : DirectLayout<G> {
  // y = conv(x, w) + b for n images. scratch: scratch_floats.
  static void forward(const float* x, const float* w, const float* b, float* y, int n, float* scratch) {
    LINCONV_DISPATCH(DirectPasses<G>::forward(x, w, b, y, n, scratch));
  }

  // The same in two steps, for a caller that runs images one at a time (a Conv fused with its
  // activation): prepare_forward lays the kernel out in scratch once, and forward_prepared
  // convolves with it for as many calls as the scratch is left alone. Bit-identical to forward.
  // With a slope, it stores ReLU_alpha of the convolution's output in y (LeakySlope).
  static void prepare_forward(const float* w, float* scratch) {
    LINCONV_DISPATCH(DirectPasses<G>::prepare_forward(w, scratch));
  }
  static void forward_prepared(const float* x, const float* w, const float* b, float* y, int n, float* scratch,
                               LeakySlope slope = std::nullopt) {
    LINCONV_DISPATCH(DirectPasses<G>::forward_prepared(x, w, b, y, n, scratch, slope));
  }

  // dw += weight gradient, db += bias gradient, dx = input gradient (dx may be null).
  static void backward(const float* x, const float* w, const float* dy, float* dx, float* dw, float* db,
                       int n, float* scratch) {
    LINCONV_DISPATCH(DirectPasses<G>::backward(x, w, dy, dx, dw, db, n, scratch));
  }

  // The two halves of backward, each timed on its own by linconv_bench.
  static void weight_gradient(const float* x, const float* dy, float* dw, float* db, int n, float* scratch) {
    LINCONV_DISPATCH(DirectPasses<G>::weight_gradient(x, dy, dw, db, n, scratch));
  }
  static void input_gradient(const float* w, const float* dy, float* dx, int n, float* scratch) {
    LINCONV_DISPATCH(DirectPasses<G>::input_gradient(w, dy, dx, n, scratch));
  }
  // input_gradient in two steps, as forward: weight_gradient may run between the calls.
  static void prepare_input_gradient(const float* w, float* scratch) {
    LINCONV_DISPATCH(DirectPasses<G>::prepare_input_gradient(w, scratch));
  }
  static void input_gradient_prepared(const float* dy, float* dx, int n, float* scratch) {
    LINCONV_DISPATCH(DirectPasses<G>::input_gradient_prepared(dy, dx, n, scratch));
  }
};

}  // namespace linconv::kernels
