#pragma once
// The element-by-element loops of the activations, dispatched like the convolutions (isa.hpp):
// without -march, the compiler's baseline (SSE2) turned the select of ReLU_alpha into a branch
// on the sign of x, which mispredicts on half the elements (10x slower than a vector blend).
//   leaky(slope, x, y)                      y = x (x >= 0), slope * x (x < 0)
//   leaky_backward(slope, x, dy, dx, d)     d -= sum of dy * min(x, 0) (in float over blocks of
//                                           256 elements, block by block in double), and
//                                           dx = dy (x > 0), slope * dy (x < 0), 0 (x == 0)
//                                           unless dx is null; dx may be dy itself
#include <algorithm>
#include <cstddef>

#define LINCONV_ISA_BODY "linconv/elementwise_isa.hpp"
#include "linconv/for_each_isa.hpp"

namespace linconv::kernels::elementwise {

inline void leaky(float slope, const float* x, float* y, std::size_t count) {
  LINCONV_DISPATCH(elementwise::leaky(slope, x, y, count));
}

inline void leaky_backward(float slope, const float* x, const float* dy, float* dx, std::size_t count,
                           double& dalpha) {
  LINCONV_DISPATCH(elementwise::leaky_backward(slope, x, dy, dx, count, dalpha));
}

}  // namespace linconv::kernels::elementwise
