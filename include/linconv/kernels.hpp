#pragma once
// The general convolution kernels (im2col + Eigen's GEMM): ordinary functions over sizes,
// compiled once in src/kernels.cpp, for the geometries the shape-specialised kernels of
// direct_conv.hpp do not cover (stride > 1, padding >= kernel). All tensors are dense row-major
// float: images [n, C, H, W], convolution weights [O, C, K, K] (OIHW).
#include <cstddef>

namespace linconv::kernels {

struct ConvGeometry {
  int in_c, in_h, in_w;
  int out_c, kernel, stride, pad;
  int out_h, out_w;
  constexpr int patch() const { return in_c * kernel * kernel; }   // rows of the patch matrix
  constexpr int pixels() const { return out_h * out_w; }           // its columns
  constexpr std::size_t scratch_floats() const { return std::size_t(patch()) * pixels(); }
};

// y = W * patches(x) + b, for n images. scratch: g.scratch_floats().
void conv_forward(const ConvGeometry& g, const float* x, const float* w, const float* b, float* y,
                  int n, float* scratch);

// dw += dy * patches(x)^T, db += row sums of dy, dx = unpatch(W^T * dy) (dx may be null).
void conv_backward(const ConvGeometry& g, const float* x, const float* w, const float* dy,
                   float* dx, float* dw, float* db, int n, float* scratch);

}  // namespace linconv::kernels
