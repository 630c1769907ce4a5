// BatchNorm2d normalises the channels of an image; after Flatten there are none.
// expect: BATCHNORM2D_INPUT_IS_NOT_AN_IMAGE<3, linconv::Shape\{6272, 1, 1\}>
#include <linconv/linconv.hpp>

#ifdef LINCONV_COMPILE_FAIL
using Net = linconv::Sequential<linconv::Input<1, 28, 28>, linconv::Conv<8, 5, 1, 2>, linconv::ReLU,
                                linconv::Flatten, linconv::BatchNorm2d, linconv::Dense<10>>;
#else
using Net = linconv::Sequential<linconv::Input<1, 28, 28>, linconv::Conv<8, 5, 1, 2>, linconv::BatchNorm2d,
                                linconv::ReLU, linconv::Flatten, linconv::Dense<10>>;
#endif

int main() { return Net::output_shape.size() == 10 ? 0 : 1; }
