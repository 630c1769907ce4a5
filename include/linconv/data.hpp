#pragma once
// Images as a network reads them: FashionMNIST's location, uint8 pixels scaled into float
// batches, and the mean cross-entropy and accuracy of a network over a whole dataset.
//
//   const Dataset test = load_fashion_mnist(default_data_dir(), Split::test);
//   const Evaluation e = evaluate_dataset(params, test, test.size(), InputScale::unit, workspace, pool);
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "linconv/error.hpp"
#include "linconv/idx.hpp"
#include "linconv/trainer.hpp"

namespace linconv {

// How pixels 0..255 become the network's input (--input-scale): unit feeds pixel / 255
// (torchvision's ToTensor), raw feeds 0..255.
enum class InputScale { unit, raw };

// "unit" or "raw"; anything else throws linconv::Error.
InputScale parse_input_scale(std::string_view text);

// pixels[i] scaled as `scale` says into out[i].
inline void scale_pixels(std::span<const std::uint8_t> pixels, InputScale scale, float* out) {
  if (scale == InputScale::unit) {
    for (std::size_t k = 0; k < pixels.size(); ++k) out[k] = float(pixels[k]) / 255.0f;
  } else {
    for (std::size_t k = 0; k < pixels.size(); ++k) out[k] = float(pixels[k]);
  }
}

// $LINCONV_DATA when set, else Debian's dataset-fashion-mnist.
inline std::filesystem::path default_data_dir() {
  if (const char* env = std::getenv("LINCONV_DATA"); env && *env) return env;
  return "/usr/share/datasets/fashion-mnist";
}

// Images idx[0..n) of the set, scaled, into out[n, rows*cols] (and their labels, when given).
inline void gather_batch(const IdxImages& images, std::span<const std::uint32_t> idx, InputScale scale,
                         float* out) {
  const std::size_t size = std::size_t(images.rows) * images.cols;
  for (std::size_t i = 0; i < idx.size(); ++i)
    scale_pixels(std::span(images.pixels).subspan(idx[i] * size, size), scale, out + i * size);
}
inline void gather_batch(const Dataset& data, std::span<const std::uint32_t> idx, InputScale scale,
                         float* out, std::uint8_t* labels) {
  gather_batch(data.images, idx, scale, out);
  for (std::size_t i = 0; i < idx.size(); ++i) labels[i] = data.labels[idx[i]];
}

// Refuses (Error) images that are not one channel of the network input's height and width;
// `what` names them in the message ("the test set: images of 27x28, the network takes 28x28").
inline void check_image_shape(const IdxImages& images, Shape input, const std::string& what) {
  if (input.c != 1 || images.rows != input.h || images.cols != input.w)
    throw Error(what + ": images of " + std::to_string(images.rows) + "x" + std::to_string(images.cols) +
                ", the network takes " + (input.c != 1 ? std::to_string(input.c) + " channels of " : "") +
                std::to_string(input.h) + "x" + std::to_string(input.w));
}

// Refuses (Error) a dataset whose images are not a network's input or whose labels are not all
// below its output count (`classes`); `what` names the set.
inline void check_dataset_fits(const Dataset& data, Shape input, int classes, const std::string& what) {
  check_image_shape(data.images, input, what);
  const auto largest = std::max_element(data.labels.begin(), data.labels.end());
  if (largest != data.labels.end() && *largest >= classes)
    throw Error(what + ": label " + std::to_string(*largest) + " needs at least " + std::to_string(*largest + 1) +
                " outputs, the network has " + std::to_string(classes));
}
template <class Net>
void check_dataset_fits(const Dataset& data, const std::string& what) {
  check_dataset_fits(data, Net::input_shape, Net::output_shape.size(), what);
}

// Mean cross-entropy and accuracy of the first `count` images of a dataset, in batches of the
// workspace's capacity, in evaluation mode. evaluate_dataset_until asks `stop` before each batch
// and gives up (nullopt) when it says so: a training run's evaluation ends on a signal.
struct Evaluation {
  double loss = 0.0;
  double accuracy = 0.0;
};
template <class Net, class Stop>
std::optional<Evaluation> evaluate_dataset_until(const Params<Net>& params, const Dataset& data, int count,
                                                 InputScale scale, Workspace<Net>& workspace, ThreadPool& pool,
                                                 Stop&& stop) {
  check_dataset_fits<Net>(data, "the test set");
  const int batch = workspace.capacity();
  std::vector<float> images(std::size_t(batch) * Net::input_shape.size());
  std::vector<std::uint8_t> labels(batch);
  std::vector<std::uint32_t> order(batch);
  CrossEntropy total;
  for (int first = 0; first < count; first += batch) {
    if (stop()) return std::nullopt;
    const int n = std::min(batch, count - first);
    std::iota(order.begin(), order.begin() + n, std::uint32_t(first));
    gather_batch(data, std::span(order).first(n), scale, images.data(), labels.data());
    const CrossEntropy part =
        evaluate(params, Batch<Net::input_shape>{images.data(), n}, labels.data(), workspace, pool);
    total.sum += part.sum;
    total.correct += part.correct;
  }
  return Evaluation{total.sum / count, double(total.correct) / count};
}

// The same from the logits of the first labels.size() images ([n, classes]), summed image by
// image: for a program that computes logits anyway (cli.hpp's eval), equal to evaluate_dataset
// but for the order of the sum.
inline Evaluation evaluation_of_logits(std::span<const float> logits, std::span<const std::uint8_t> labels,
                                       int classes) {
  const CrossEntropy total =
      softmax_cross_entropy(logits.data(), labels.data(), int(labels.size()), classes, nullptr, 1.0f);
  return Evaluation{total.sum / double(labels.size()), double(total.correct) / double(labels.size())};
}

template <class Net>
Evaluation evaluate_dataset(const Params<Net>& params, const Dataset& data, int count, InputScale scale,
                            Workspace<Net>& workspace, ThreadPool& pool) {
  return *evaluate_dataset_until(params, data, count, scale, workspace, pool, [] { return false; });
}

}  // namespace linconv
