// `features`: the feature-map grid of one test image, and the code the report uses for
// its own grids.
#include "feature_maps.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

#include "commands.hpp"

namespace linconv::cli {
namespace {

// Draws channel c of `layer` at (x0, y0), normalised to its own range.
void draw_tile(GrayImage& grid, const FeatureMaps::Layer& layer, int c, int x0, int y0) {
  const std::size_t size = std::size_t(layer.height) * layer.width;
  const auto first = layer.values.begin() + std::ptrdiff_t(c * size);
  const auto [low, high] = std::minmax_element(first, first + std::ptrdiff_t(size));
  const float range = *high - *low;
  constexpr int s = GridLayout::tile_scale;
  for (int y = 0; y < layer.height * s; ++y)
    for (int x = 0; x < layer.width * s; ++x) {
      const float v = first[std::ptrdiff_t(y / s) * layer.width + x / s];
      grid.at(x0 + x, y0 + y) = range > 0.0f ? std::uint8_t(std::lround(255.0f * (v - *low) / range)) : 0;
    }
}

int rows_of(const FeatureMaps::Layer& layer) {
  return (layer.channels + GridLayout::tiles_per_row - 1) / GridLayout::tiles_per_row;
}

}  // namespace

std::string_view class_name(int label) {
  static constexpr std::array<std::string_view, 10> names{
      "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
  return label >= 0 && label < 10 ? names[label] : "?";
}

FeatureMaps feature_maps(const CheckpointInfo& checkpoint, const IdxImages& images, int index) {
  if (index < 0 || index >= images.count)
    throw Error("image " + std::to_string(index) + " does not exist: the set has " + std::to_string(images.count) +
                " images");
  const NetworkOps& network = *checkpoint.network;
  check_image_shape(images, network.input_shape, "the image set");
  std::vector<float> image(network.input_shape.size());
  const std::uint32_t at = std::uint32_t(index);
  gather_batch(images, std::span(&at, 1), checkpoint.input_scale(""), image.data());
  return network.feature_maps(checkpoint.contents, checkpoint.file, image);
}

GrayImage feature_grid(const FeatureMaps& maps) {
  constexpr int gap = GridLayout::gap, s = GridLayout::tile_scale;
  int width = 0, height = gap;
  for (const FeatureMaps::Layer& layer : maps.layers) {
    const int columns = std::min(layer.channels, GridLayout::tiles_per_row);
    width = std::max(width, gap + columns * (layer.width * s + gap));
    height += rows_of(layer) * (layer.height * s + gap) - gap + GridLayout::band_gap;
  }
  height += gap - GridLayout::band_gap;
  GrayImage grid(width, height, 255);
  int band_y = gap;
  for (const FeatureMaps::Layer& layer : maps.layers) {
    const int tile_w = layer.width * s + gap, tile_h = layer.height * s + gap;
    for (int c = 0; c < layer.channels; ++c)
      draw_tile(grid, layer, c, gap + c % GridLayout::tiles_per_row * tile_w,
                band_y + c / GridLayout::tiles_per_row * tile_h);
    band_y += rows_of(layer) * tile_h - gap + GridLayout::band_gap;
  }
  return grid;
}

void add_features_command(CLI::App& app, const NetworkList& networks) {
  struct Options {
    std::filesystem::path checkpoint, data = default_data_dir(), out = "features.png";
    std::string net, activation;
    int index = 0;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "features", "Feature maps of one test image: the input and every activation layer's output, as a PNG grid");
  cmd->add_option("--checkpoint", options->checkpoint, "Model to use (.safetensors)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--index", options->index, "Test image to feed (0-based)")->required()->check(at_least(0));
  cmd->add_option("--data", options->data, "FashionMNIST directory")->capture_default_str();
  cmd->add_option("--out", options->out, "PNG file to write")->capture_default_str();
  add_network_options(cmd, networks, options->net, options->activation);
  cmd->callback([options, &networks] {
    const CheckpointInfo info = read_checkpoint_info(networks, options->checkpoint, options->net, options->activation);
    const Dataset test = load_fashion_mnist(options->data, Split::test);
    if (options->index >= test.size())
      throw UsageError("--index " + std::to_string(options->index) + " is out of range: the test set has " +
                       std::to_string(test.size()) + " images");
    const FeatureMaps maps = feature_maps(info, test.images, options->index);
    write_png(options->out, feature_grid(maps));
    const int label = test.labels[std::size_t(options->index)];
    std::printf("test image %d (%s): predicted %s\nwrote %s\n", options->index, std::string(class_name(label)).c_str(),
                std::string(class_name(maps.predicted)).c_str(), options->out.c_str());
  });
}

}  // namespace linconv::cli
