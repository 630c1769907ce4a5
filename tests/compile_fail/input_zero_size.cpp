// An input with no pixels.
// expect: INPUT_SHAPE_OUT_OF_RANGE<linconv::Shape\{1, 0, 28\}>
#include <linconv/linconv.hpp>

#ifdef LINCONV_COMPILE_FAIL
using Net = linconv::Sequential<linconv::Input<1, 0, 28>, linconv::Flatten, linconv::Dense<10>>;
#else
using Net = linconv::Sequential<linconv::Input<1, 28, 28>, linconv::Flatten, linconv::Dense<10>>;
#endif

int main() { return Net::param_count > 0 ? 0 : 1; }
