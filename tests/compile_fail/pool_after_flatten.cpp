// A pool slides a window over an image; a flat vector has no second dimension.
// expect: POOL_INPUT_IS_NOT_AN_IMAGE<3, linconv::Shape\{6272, 1, 1\}>
#include <linconv/linconv.hpp>

#ifdef LINCONV_COMPILE_FAIL
using Net = linconv::Sequential<linconv::Input<1, 28, 28>, linconv::Conv<8, 5, 1, 2>, linconv::ReLU,
                                linconv::Flatten, linconv::AvgPool2d<2>, linconv::Dense<10>>;
#else
using Net = linconv::Sequential<linconv::Input<1, 28, 28>, linconv::Conv<8, 5, 1, 2>, linconv::ReLU,
                                linconv::AvgPool2d<2>, linconv::Flatten, linconv::Dense<10>>;
#endif

int main() { return Net::output_shape.size() == 10 ? 0 : 1; }
