#pragma once
// Feature maps: one image fed through a network in evaluation mode, with the output of every
// activation layer that is an image kept (not those after fully connected layers): in the
// report's network 8x28x28, 16x28x28 and 32x28x28; in its first attempt, before each max pool,
// 8x28x28, 16x14x14 and 32x7x7. Each keeps what the activation is and the alphas it learnt.
// `linconv features` draws them, one row per layer.
#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "linconv/trainer.hpp"

namespace linconv {

struct FeatureMaps {
  struct Layer {
    std::string name;           // "input", "act1", ...
    std::string activation;     // its type: "ReLUAlpha", "ReLU", "Identity", ...; empty for the input
    std::vector<float> alphas;  // its learnt alphas (one, or one per channel); none for a fixed one
    int channels = 0, height = 0, width = 0;
    std::vector<float> values;  // [channels, height, width]
  };
  std::vector<Layer> layers;  // the input, then each activation's output that is an image
  int predicted = 0;          // the class of the largest logit
};

namespace detail {
// Activation i of the workspace's first image, as a layer of the maps.
template <class Net>
FeatureMaps::Layer feature_layer(Workspace<Net>& ws, std::size_t i, std::string name) {
  const Shape shape = Net::shapes[i];
  const float* values = ws.activation(i, 0);
  return {std::move(name), "", {}, shape.c, shape.h, shape.w, std::vector<float>(values, values + shape.size())};
}
}  // namespace detail

// The maps of one scaled image (Net::input_shape floats).
template <class Net>
FeatureMaps feature_maps(const Params<Net>& params, std::span<const float> image) {
  ThreadPool pool(1);
  Workspace<Net> ws(1, 1);
  const std::uint8_t unused_label = 0;
  evaluate(params, Batch<Net::input_shape>{image.data(), 1}, &unused_label, ws, pool);
  FeatureMaps maps;
  maps.layers.push_back(detail::feature_layer(ws, 0, "input"));
  int activations = 0;
  Net::for_each_layer([&](auto index) {
    constexpr std::size_t i = decltype(index)::value;
    if constexpr (detail::is_activation<typename Net::template layer<i>>) {
      ++activations;
      // The activations of fully connected layers are vectors, not maps: a 1x1 tile has no range.
      if constexpr (Net::shapes[i + 1].h * Net::shapes[i + 1].w > 1) {
        FeatureMaps::Layer layer = detail::feature_layer(ws, i + 1, "act" + std::to_string(activations));
        layer.activation = Net::template layer<i>::name.view();
        for (const NetTensor& t : Net::tensors)
          if (t.layer == i && t.tensor.suffix == "alpha")
            layer.alphas.assign(params.tensor(t).begin(), params.tensor(t).end());
        maps.layers.push_back(std::move(layer));
      }
    }
  });
  const float* logits = ws.activation(Net::layer_count, 0);
  maps.predicted = int(std::max_element(logits, logits + Net::output_shape.size()) - logits);
  return maps;
}

}  // namespace linconv
