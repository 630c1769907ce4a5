// A pool window larger than its input: after three 2x2 pools 28 -> 3, a 4x4 pool has no room.
// expect: POOL_WINDOW_LARGER_THAN_INPUT<7, linconv::Shape\{8, 3, 3\}, 4>
#include <linconv/linconv.hpp>

#ifdef LINCONV_COMPILE_FAIL
constexpr int window = 4;
#else
constexpr int window = 3;
#endif
using Net = linconv::Sequential<linconv::Input<1, 28, 28>, linconv::Conv<8, 5, 1, 2>, linconv::ReLU,
                                linconv::MaxPool2d<2>, linconv::MaxPool2d<2>, linconv::AvgPool2d<2, 2>,
                                linconv::ReLU, linconv::Identity, linconv::MaxPool2d<window>,
                                linconv::Flatten, linconv::Dense<10>>;

int main() { return Net::output_shape.size() == 10 ? 0 : 1; }
