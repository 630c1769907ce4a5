#pragma once
// Fully connected kernels specialised by their compile-time sizes, without allocation.
// x [n, In], W [Out, In] (row-major, PyTorch's layout), y and dy [n, Out].
// Each kernel works on a few images or outputs at once so that every vector it loads feeds
// several FMAs: the weights (1 MB for the report's 25088 -> 10 layer) stream from memory once
// per group of images, not once per image. The vector code (dense_isa.hpp) is compiled once per
// instruction set (for_each_isa.hpp); each call runs the active one's (isa.hpp).
#include <algorithm>
#include <cstddef>

#define LINCONV_ISA_BODY "linconv/dense_isa.hpp"
#include "linconv/for_each_isa.hpp"

namespace linconv::kernels::dense {

// y = x W^T + b for n images.
template <int In, int Out>
void forward(const float* x, const float* w, const float* b, float* y, int n) {
  LINCONV_DISPATCH(dense::forward<In, Out>(x, w, b, y, n));
}

// dw += dy^T x, db += column sums of dy, dx = dy W (dx may be null).
template <int In, int Out>
void backward(const float* x, const float* w, const float* dy, float* dx, float* dw, float* db, int n) {
  LINCONV_DISPATCH(dense::backward<In, Out>(x, w, dy, dx, dw, db, n));
}

}  // namespace linconv::kernels::dense
