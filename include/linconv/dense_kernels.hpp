#pragma once
// Fully connected kernels specialised by their compile-time sizes, without allocation.
// x [n, In], W [Out, In] (row-major, PyTorch's layout), y and dy [n, Out].
#include <algorithm>
#include <cstddef>

#include "linconv/direct_conv.hpp"  // for_blocks
#include "linconv/simd.hpp"

namespace linconv::kernels::dense {

// Inputs in chunks of this many floats: the chunk of x of every image (backward) or of every
// weight row stays in L1 while it is reused.
inline constexpr int chunk = 4 * simd::lanes;

// sums[o] = sum_i w[o, i] * x[i] for Rows consecutive outputs, over the inputs that fill vectors.
template <int In, int Rows>
inline void dot_rows(const float* x, const float* w, float* sums) {
  using simd::Vec;
  constexpr int vectorised = In / simd::lanes * simd::lanes;
  Vec acc[Rows] = {};
  for (int i = 0; i < vectorised; i += simd::lanes) {
    const Vec in = simd::load(x + i);
    for (int r = 0; r < Rows; ++r) acc[r] += simd::load(w + std::size_t(r) * In + i) * in;
  }
  for (int r = 0; r < Rows; ++r) {
    float s = simd::sum(acc[r]);
    for (int i = vectorised; i < In; ++i) s += w[std::size_t(r) * In + i] * x[i];
    sums[r] = s;
  }
}

// y[k, o] = b[o] + sum_i w[o, i] * x[k, i].
template <int In, int Out>
void forward(const float* x, const float* w, const float* b, float* y, int n) {
  for (int k = 0; k < n; ++k)
    for_blocks<Out, simd::registers / 2>([&](auto rows, int o) {
      float* out = y + std::size_t(k) * Out + o;
      dot_rows<In, decltype(rows)::value>(x + std::size_t(k) * In, w + std::size_t(o) * In, out);
      for (int r = 0; r < decltype(rows)::value; ++r) out[r] += b[o + r];
    });
}

// dw += dy^T x, db += column sums of dy, dx = dy W (dx may be null). Chunk by chunk of the
// inputs, images in order, so that every sum runs over the images in the same order.
template <int In, int Out>
void backward(const float* x, const float* w, const float* dy, float* dx, float* dw, float* db, int n) {
  using simd::Vec;
  for (int k = 0; k < n; ++k)
    for (int o = 0; o < Out; ++o) db[o] += dy[k * Out + o];
  constexpr int vectorised = In / chunk * chunk;
  for (int i = 0; i < vectorised; i += chunk) {
    for (int o = 0; o < Out; ++o) {  // dw[o, chunk] += sum_k dy[k, o] * x[k, chunk]
      float* grad = dw + std::size_t(o) * In + i;
      Vec acc[4];
      for (int v = 0; v < 4; ++v) acc[v] = simd::load(grad + v * simd::lanes);
      for (int k = 0; k < n; ++k) {
        const Vec d = simd::splat(dy[k * Out + o]);
        for (int v = 0; v < 4; ++v) acc[v] += d * simd::load(x + std::size_t(k) * In + i + v * simd::lanes);
      }
      for (int v = 0; v < 4; ++v) simd::store(grad + v * simd::lanes, acc[v]);
    }
    if (!dx) continue;
    for (int k = 0; k < n; ++k) {  // dx[k, chunk] = sum_o dy[k, o] * w[o, chunk]
      Vec acc[4] = {};
      for (int o = 0; o < Out; ++o) {
        const Vec d = simd::splat(dy[k * Out + o]);
        for (int v = 0; v < 4; ++v) acc[v] += d * simd::load(w + std::size_t(o) * In + i + v * simd::lanes);
      }
      for (int v = 0; v < 4; ++v) simd::store(dx + std::size_t(k) * In + i + v * simd::lanes, acc[v]);
    }
  }
  for (int i = vectorised; i < In; ++i) {  // the inputs that do not fill a chunk
    for (int o = 0; o < Out; ++o)
      for (int k = 0; k < n; ++k) dw[std::size_t(o) * In + i] += dy[k * Out + o] * x[std::size_t(k) * In + i];
    if (dx)
      for (int k = 0; k < n; ++k) {
        float s = 0.0f;
        for (int o = 0; o < Out; ++o) s += dy[k * Out + o] * w[std::size_t(o) * In + i];
        dx[std::size_t(k) * In + i] = s;
      }
  }
}

}  // namespace linconv::kernels::dense
