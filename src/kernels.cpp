// Convolution as GEMM over image patches (im2col), one image at a time so that the patch matrix
// stays in cache:
//   forward          Y  = W * P(x) + b          W: [O, CKK], P(x): [CKK, HW_out]
//   weight gradient  dW += dY * P(x)^T
//   input gradient   dx  = P^T(W^T * dY)        (P^T scatters patch rows back onto the image)
// The GEMMs are Eigen's; the patch matrix is recomputed in the backward pass instead of stored.
#include "linconv/kernels.hpp"

#include <Eigen/Core>
#include <algorithm>

namespace linconv::kernels {
namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixMap = Eigen::Map<RowMatrix>;
using ConstMatrixMap = Eigen::Map<const RowMatrix>;
using ConstVectorMap = Eigen::Map<const Eigen::VectorXf>;
using VectorMap = Eigen::Map<Eigen::VectorXf>;

// The range of output positions o with 0 <= o*stride + offset < extent.
struct Span {
  int begin, end;
};
Span valid_outputs(int offset, int stride, int extent, int outputs) {
  int begin = 0;
  while (begin < outputs && begin * stride + offset < 0) ++begin;
  int end = outputs;
  while (end > begin && (end - 1) * stride + offset >= extent) --end;
  return {begin, end};
}

// patches[(c*K + u)*K + v, i*out_w + j] = x[c, i*s + u - p, j*s + v - p], zero outside x.
void im2col(const ConvGeometry& g, const float* x, float* patches) {
  const int k = g.kernel;
  for (int c = 0; c < g.in_c; ++c) {
    const float* plane = x + std::size_t(c) * g.in_h * g.in_w;
    for (int u = 0; u < k; ++u) {
      const Span rows = valid_outputs(u - g.pad, g.stride, g.in_h, g.out_h);
      for (int v = 0; v < k; ++v) {
        const Span cols = valid_outputs(v - g.pad, g.stride, g.in_w, g.out_w);
        float* out = patches + std::size_t((c * k + u) * k + v) * g.pixels();
        std::fill(out, out + std::size_t(rows.begin) * g.out_w, 0.0f);
        for (int i = rows.begin; i < rows.end; ++i) {
          float* row = out + std::size_t(i) * g.out_w;
          const float* src = plane + std::size_t(i * g.stride + u - g.pad) * g.in_w + (v - g.pad);
          std::fill(row, row + cols.begin, 0.0f);
          if (g.stride == 1) {
            std::copy(src + cols.begin, src + cols.end, row + cols.begin);
          } else {
            for (int j = cols.begin; j < cols.end; ++j) row[j] = src[j * g.stride];
          }
          std::fill(row + cols.end, row + g.out_w, 0.0f);
        }
        std::fill(out + std::size_t(rows.end) * g.out_w, out + g.pixels(), 0.0f);
      }
    }
  }
}

// The adjoint of im2col: x[c, i*s + u - p, j*s + v - p] += patches[(c*K + u)*K + v, i*out_w + j].
void col2im(const ConvGeometry& g, const float* patches, float* x) {
  const int k = g.kernel;
  std::fill(x, x + std::size_t(g.in_c) * g.in_h * g.in_w, 0.0f);
  for (int c = 0; c < g.in_c; ++c) {
    float* plane = x + std::size_t(c) * g.in_h * g.in_w;
    for (int u = 0; u < k; ++u) {
      const Span rows = valid_outputs(u - g.pad, g.stride, g.in_h, g.out_h);
      for (int v = 0; v < k; ++v) {
        const Span cols = valid_outputs(v - g.pad, g.stride, g.in_w, g.out_w);
        const float* in = patches + std::size_t((c * k + u) * k + v) * g.pixels();
        for (int i = rows.begin; i < rows.end; ++i) {
          const float* row = in + std::size_t(i) * g.out_w;
          float* dst = plane + std::size_t(i * g.stride + u - g.pad) * g.in_w + (v - g.pad);
          for (int j = cols.begin; j < cols.end; ++j) dst[j * g.stride] += row[j];
        }
      }
    }
  }
}

}  // namespace

void conv_forward(const ConvGeometry& g, const float* x, const float* w, const float* b, float* y,
                  int n, float* scratch) {
  const ConstMatrixMap weights(w, g.out_c, g.patch());
  const ConstVectorMap bias(b, g.out_c);
  const ConstMatrixMap patches(scratch, g.patch(), g.pixels());
  const std::size_t in_size = std::size_t(g.in_c) * g.in_h * g.in_w;
  const std::size_t out_size = std::size_t(g.out_c) * g.pixels();
  for (int image = 0; image < n; ++image) {
    im2col(g, x + image * in_size, scratch);
    MatrixMap out(y + image * out_size, g.out_c, g.pixels());
    out.noalias() = weights * patches;
    out.colwise() += bias;
  }
}

void conv_backward(const ConvGeometry& g, const float* x, const float* w, const float* dy,
                   float* dx, float* dw, float* db, int n, float* scratch) {
  const ConstMatrixMap weights(w, g.out_c, g.patch());
  MatrixMap weight_grad(dw, g.out_c, g.patch());
  VectorMap bias_grad(db, g.out_c);
  MatrixMap patches(scratch, g.patch(), g.pixels());
  const std::size_t in_size = std::size_t(g.in_c) * g.in_h * g.in_w;
  const std::size_t out_size = std::size_t(g.out_c) * g.pixels();
  for (int image = 0; image < n; ++image) {
    const ConstMatrixMap grad_out(dy + image * out_size, g.out_c, g.pixels());
    bias_grad += grad_out.rowwise().sum();
    im2col(g, x + image * in_size, scratch);
    weight_grad.noalias() += grad_out * patches.transpose();
    if (dx) {
      patches.noalias() = weights.transpose() * grad_out;
      col2im(g, scratch, dx + image * in_size);
    }
  }
}

}  // namespace linconv::kernels
