#pragma once
// `features`: the feature maps of one test image (linconv/feature_maps.hpp), drawn by gnuplot.
//
// The figure (draw_feature_maps): a title, then one row per layer, the network input first, then
// each activation's channels side by side, numbered. Above each row, what it is: "layer 2: ReLU_α,
// α_2 = 0.73 (act2, 16 channels of 28×28)". Every tile is FeatureLayout::tile pixels on its longer
// side whatever the layer's size, each value a block of pixels. Colours say sign and magnitude:
// the input in grey from black (0, or its minimum if below) to white (its maximum); each
// activation layer on a diverging map, blue negative, white 0, red positive, over one scale
// symmetric about 0 that all its channels share (color_scale), with its colour bar at the end of
// the row.
//
// Files: dir/<png>; beside it dir/data/<stem>.dat (one block per channel, layer after layer, each
// a matrix of `height` lines of `width` values), dir/data/<stem>.gp (the script; `gnuplot
// data/<stem>.gp` in dir redraws it) and gnuplot's output in dir/data/<stem>.log.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>
#include <string_view>

#include "common.hpp"
#include "linconv/feature_maps.hpp"

namespace linconv::cli {

// Sizes of the figure, in pixels.
struct FeatureLayout {
  static constexpr int tile = 84;  // a tile's longer side: 3 pixels per value of a 28x28 channel
  static constexpr int gap = 6;    // between tiles
  static constexpr int margin = 30, title = 80, label = 46, numbers = 24, row_gap = 18;
  static constexpr int colorbox_gap = 14, colorbox = 16, colorbox_tics = 90;
  static constexpr int min_width = 1200;
};

// FashionMNIST's class names, by label.
std::string_view class_name(int label);

// Image `index` of `images` through the checkpoint's network, scaled as it was trained.
FeatureMaps feature_maps(const CheckpointInfo& checkpoint, const IdxImages& images, int index);

// The text above a layer's row (gnuplot enhanced text: α_2 has 2 as subscript).
std::string row_label(const FeatureMaps::Layer& layer);

// An activation layer's colour scale, ±limit about 0 for all its channels: the 99th percentile
// of its |values| (nearest rank), so that a few outliers do not wash the rest out; its largest
// |value| if that percentile is 0, and 1 if all are. `clipped` when larger values exist: they take
// the end colours, and the colour bar's end labels say "≥".
struct ColorScale {
  float limit = 1.0f;
  bool clipped = false;
};
ColorScale color_scale(const FeatureMaps::Layer& layer);

// Draws `maps` under `title` (gnuplot enhanced text) into dir/`png` and its sources into
// dir/data/ (see above); throws linconv::Error when gnuplot fails or a file cannot be written.
void draw_feature_maps(const FeatureMaps& maps, const std::string& title, const std::filesystem::path& dir,
                       const std::string& png);

void add_features_command(CLI::App& app, const NetworkList& networks);

}  // namespace linconv::cli
