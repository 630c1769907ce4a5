// predict and evaluate for any network, through the forward pass its NetworkOps::inference
// compiled (linconv/cli.hpp).
#include <algorithm>
#include <numeric>

#include "linconv/cli.hpp"

namespace linconv::cli {

std::vector<float> predict(const NetworkOps& network, const SafetensorsFile& contents,
                           const std::filesystem::path& file, const IdxImages& images, int count, InputScale scale,
                           int threads) {
  constexpr int batch = 100;
  const std::unique_ptr<Inference> inference = network.inference(contents, file, batch, threads);
  const std::size_t image_size = std::size_t(network.input_shape.size()), classes = std::size_t(network.output_shape.size());
  std::vector<float> inputs(batch * image_size), logits(std::size_t(count) * classes);
  std::vector<std::uint32_t> order(batch);
  for (int first = 0; first < count; first += batch) {
    const int n = std::min(batch, count - first);
    std::iota(order.begin(), order.begin() + n, std::uint32_t(first));
    gather_batch(images, std::span(order).first(std::size_t(n)), scale, inputs.data());
    inference->logits(inputs.data(), n, logits.data() + std::size_t(first) * classes);
  }
  return logits;
}

Evaluation evaluate(const NetworkOps& network, const SafetensorsFile& contents, const std::filesystem::path& file,
                    const Dataset& data, int count, InputScale scale, int threads) {
  check_dataset_fits(data, network.input_shape, network.output_shape.size(), "the test set");
  return evaluation_of_logits(predict(network, contents, file, data.images, count, scale, threads),
                              std::span(data.labels).first(std::size_t(count)), network.output_shape.size());
}

}  // namespace linconv::cli
