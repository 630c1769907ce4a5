// A fully connected layer with no outputs.
// expect: DENSE_OUTPUTS_OUT_OF_RANGE<2, 0>
#include <linconv/linconv.hpp>

#ifdef LINCONV_COMPILE_FAIL
using Net = linconv::Sequential<linconv::Input<1, 28, 28>, linconv::Conv<8, 5, 1, 2>, linconv::Flatten,
                                linconv::Dense<0>>;
#else
using Net = linconv::Sequential<linconv::Input<1, 28, 28>, linconv::Conv<8, 5, 1, 2>, linconv::Flatten,
                                linconv::Dense<10>>;
#endif

int main() { return Net::param_count > 0 ? 0 : 1; }
