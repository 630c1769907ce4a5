#pragma once
// What both example programs do with a model: scale every image of an IDX file as the model was
// trained, print its class (one line per image) and return all logits, [count, classes].
#include <algorithm>
#include <array>
#include <cstdio>
#include <span>
#include <vector>

#include <linconv/linconv.hpp>

template <class Net>
std::vector<float> classify_images(const linconv::Model<Net>& model, const linconv::IdxImages& images) {
  using Model = linconv::Model<Net>;
  if (images.rows * images.cols != Model::input_size)
    throw linconv::Error("the images are " + std::to_string(images.rows) + "x" + std::to_string(images.cols) +
                         ", the model takes " + std::to_string(Model::input_size) + " pixels");
  std::vector<float> logits(std::size_t(images.count) * Model::classes);
  std::array<float, Model::input_size> image;
  for (int i = 0; i < images.count; ++i) {
    const auto pixels = std::span(images.pixels).subspan(std::size_t(i) * Model::input_size, Model::input_size);
    linconv::scale_pixels(pixels, model.input_scale(), image.data());
    const typename Model::Logits one = model.predict(image);
    std::ranges::copy(one, logits.begin() + std::ptrdiff_t(i) * Model::classes);
    std::printf("%d\n", int(std::ranges::max_element(one) - one.begin()));
  }
  return logits;
}
