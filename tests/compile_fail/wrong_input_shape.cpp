// Images of another shape passed to the network's forward pass.
// expect: INPUT_SHAPE_MISMATCH<linconv::Shape\{1, 28, 28\}, linconv::Shape\{3, 32, 32\}>
#include <linconv/linconv.hpp>

int main() {
  using Net = linconv::FashionNet;
  const auto params = linconv::init_like_pytorch<Net>(0);
  linconv::ThreadPool pool(1);
  linconv::Workspace<Net> workspace(1, 1);
  const std::uint8_t label = 0;
#ifdef LINCONV_COMPILE_FAIL
  std::vector<float> image(3 * 32 * 32);
  linconv::Batch<linconv::Shape{3, 32, 32}> batch{image.data(), 1};
#else
  std::vector<float> image(28 * 28);
  linconv::Batch<linconv::Shape{1, 28, 28}> batch{image.data(), 1};
#endif
  return linconv::evaluate(params, batch, &label, workspace, pool).correct >= 0 ? 0 : 1;
}
