// A 5x5 kernel on a 3x3 input with no padding cannot produce an output.
// expect: CONV_KERNEL_LARGER_THAN_PADDED_INPUT<1, linconv::Shape\{4, 3, 3\}, 5, 0>
#include <linconv/linconv.hpp>

#ifdef LINCONV_COMPILE_FAIL
using Net = linconv::Sequential<linconv::Input<1, 5, 5>, linconv::Conv<4, 3, 1, 0>, linconv::Conv<2, 5, 1, 0>>;
#else
using Net = linconv::Sequential<linconv::Input<1, 5, 5>, linconv::Conv<4, 3, 1, 0>, linconv::Conv<2, 3, 1, 0>>;
#endif

int main() { return Net::output_shape.size() > 0 ? 0 : 1; }
