// A stride of 0 never advances.
// expect: CONV_SETTINGS_OUT_OF_RANGE<0, 8, 5, 0, 2>
#include <linconv/linconv.hpp>

#ifdef LINCONV_COMPILE_FAIL
using Net = linconv::Sequential<linconv::Input<1, 28, 28>, linconv::Conv<8, 5, 0, 2>>;
#else
using Net = linconv::Sequential<linconv::Input<1, 28, 28>, linconv::Conv<8, 5, 1, 2>>;
#endif

int main() { return Net::param_count > 0 ? 0 : 1; }
