#pragma once
// Feature maps: one test image fed through a checkpoint's network, with the output of every
// activation layer kept (in the report's network 8x28x28, 16x28x28 and 32x28x28; in its first
// attempt, before each max pool, 8x28x28, 16x14x14 and 32x7x7), drawn as a grid of grey-scale
// tiles.
//
// The grid (feature_grid): one band per layer, the network input first, then each activation's
// channels in order, at most `tiles_per_row` tiles a row, each tile as large as its channel. Each tile is the channel upscaled
// `tile_scale` times (nearest neighbour), `gap` pixels apart, on a white background, with
// `band_gap` pixels between bands and `gap` around the whole. Each tile is normalised to its own
// range: its minimum black, its maximum white; a constant channel is black.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common.hpp"
#include "png.hpp"

namespace linconv::cli {

struct GridLayout {
  static constexpr int tile_scale = 2;
  static constexpr int gap = 4;
  static constexpr int band_gap = 16;
  static constexpr int tiles_per_row = 16;
};

// FashionMNIST's class names, by label.
std::string_view class_name(int label);

struct FeatureMaps {
  struct Layer {
    std::string name;  // "input", "act1", ...
    int channels = 0, height = 0, width = 0;
    std::vector<float> values;  // [channels, height, width]
  };
  std::vector<Layer> layers;  // the input, then each activation's output
  int predicted = 0;           // the class of the largest logit
};

// Test image `index` of `images` through the checkpoint's network, scaled as it was trained.
FeatureMaps feature_maps(const CheckpointInfo& checkpoint, const IdxImages& images, int index);

GrayImage feature_grid(const FeatureMaps& maps);

// The first image of `label` in the set; throws when there is none.
int first_image_of(const Dataset& data, int label);

void add_features_command(CLI::App& app);

}  // namespace linconv::cli
