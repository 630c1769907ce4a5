// Dense on an image: the flattening order must be stated with Flatten.
// expect: DENSE_NEEDS_FLATTEN_BEFORE_IT<2, linconv::Shape\{8, 28, 28\}>
#include <linconv/linconv.hpp>

#ifdef LINCONV_COMPILE_FAIL
using Net = linconv::Sequential<linconv::Input<1, 28, 28>, linconv::Conv<8, 5, 1, 2>, linconv::ReLU,
                                linconv::Dense<10>>;
#else
using Net = linconv::Sequential<linconv::Input<1, 28, 28>, linconv::Conv<8, 5, 1, 2>, linconv::ReLU,
                                linconv::Flatten, linconv::Dense<10>>;
#endif

int main() { return Net::output_shape.size() == 10 ? 0 : 1; }
