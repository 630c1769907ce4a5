// A pool must move: stride 0 is refused with the layer's index and settings.
// expect: POOL_SETTINGS_OUT_OF_RANGE<2, 2, 0>
#include <linconv/linconv.hpp>

#ifdef LINCONV_COMPILE_FAIL
constexpr int stride = 0;
#else
constexpr int stride = 2;
#endif
using Net = linconv::Sequential<linconv::Input<1, 28, 28>, linconv::Conv<8, 5, 1, 2>, linconv::ReLU,
                                linconv::MaxPool2d<2, stride>, linconv::Flatten, linconv::Dense<10>>;

int main() { return Net::output_shape.size() == 10 ? 0 : 1; }
