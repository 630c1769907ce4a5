// A network must say what it takes: the list starts with Input<C, H, W>.
// expect: SEQUENTIAL_MUST_START_WITH_INPUT<linconv::Conv<8, 5, 1, 2> >
#include <linconv/linconv.hpp>

#ifdef LINCONV_COMPILE_FAIL
using Net = linconv::Sequential<linconv::Conv<8, 5, 1, 2>, linconv::Flatten, linconv::Dense<10>>;
#else
using Net = linconv::Sequential<linconv::Input<1, 28, 28>, linconv::Conv<8, 5, 1, 2>, linconv::Flatten,
                                linconv::Dense<10>>;
#endif

int main() { return Net::param_count > 0 ? 0 : 1; }
