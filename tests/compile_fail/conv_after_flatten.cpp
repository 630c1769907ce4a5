// A convolution needs an image; after Flatten there is only a vector.
// expect: CONV_INPUT_IS_NOT_AN_IMAGE<2, linconv::Shape\{6272, 1, 1\}>
#include <linconv/linconv.hpp>

#ifdef LINCONV_COMPILE_FAIL
using Net = linconv::Sequential<linconv::Input<1, 28, 28>, linconv::Conv<8, 5, 1, 2>, linconv::Flatten,
                                linconv::Conv<4, 3, 1, 1>>;
#else
using Net = linconv::Sequential<linconv::Input<1, 28, 28>, linconv::Conv<8, 5, 1, 2>, linconv::Conv<4, 3, 1, 1>,
                                linconv::Flatten>;
#endif

int main() { return Net::param_count > 0 ? 0 : 1; }
