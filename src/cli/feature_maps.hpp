#pragma once
// `features`: the feature maps of one test image (linconv/feature_maps.hpp), drawn as a grid of
// grey-scale tiles.
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
#include "linconv/feature_maps.hpp"
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

// Image `index` of `images` through the checkpoint's network, scaled as it was trained.
FeatureMaps feature_maps(const CheckpointInfo& checkpoint, const IdxImages& images, int index);

GrayImage feature_grid(const FeatureMaps& maps);

void add_features_command(CLI::App& app, const NetworkList& networks);

}  // namespace linconv::cli
