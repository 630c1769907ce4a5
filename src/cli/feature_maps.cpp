// `features`: the feature maps of one test image, and the figure the report draws of them.
#include "feature_maps.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "commands.hpp"
#include "gnuplot.hpp"
#include "linconv/error.hpp"

namespace linconv::cli {
namespace {

namespace fs = std::filesystem;

// ColorBrewer's RdBu from blue to red: white at the middle of the range, which is 0.
constexpr const char* diverging_palette =
    "(0 '#2166ac', 1 '#4393c3', 2 '#92c5de', 3 '#d1e5f0', 4 '#f7f7f7', 5 '#fddbc7', 6 '#f4a582', 7 '#d6604d', "
    "8 '#b2182b')";

// Scales and alphas in the figure's text: 3 significant digits.
std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", value);
  return text;
}

// One block per channel (gnuplot's `index`), each a matrix of rows of values.
void write_data(const FeatureMaps& maps, const fs::path& file) {
  std::ofstream out(file);
  for (const FeatureMaps::Layer& layer : maps.layers)
    for (int c = 0; c < layer.channels; ++c) {
      out << "# " << layer.name << " channel " << c << ": " << layer.height << " lines of " << layer.width
          << " values\n";
      const float* plane = layer.values.data() + std::size_t(c) * layer.height * layer.width;
      char value[32];
      for (int y = 0; y < layer.height; ++y) {
        for (int x = 0; x < layer.width; ++x) {
          std::snprintf(value, sizeof value, "%.4g", double(plane[y * layer.width + x]));
          out << (x ? " " : "") << value;
        }
        out << '\n';
      }
      out << "\n\n";
    }
  if (!out) throw Error(file.string() + ": cannot write");
}

// Where a row goes, in pixels: its tiles' size and top (its label above them).
struct Row {
  double tile_w, tile_h, scale;  // scale: pixels per value
  int width;                     // of all its tiles and the gaps between them
  int tiles_top;
};

Row row_of(const FeatureMaps::Layer& layer, int top) {
  const double scale = double(FeatureLayout::tile) / std::max(layer.height, layer.width);
  const double tile_w = layer.width * scale, tile_h = layer.height * scale;
  const int width = int(std::lround(layer.channels * tile_w)) + (layer.channels - 1) * FeatureLayout::gap;
  return {tile_w, tile_h, scale, width, top + FeatureLayout::label};
}

// The commands of one row: its label, its place, its colour scale and one image per channel.
void plot_row(std::ostream& gp, const FeatureMaps::Layer& layer, const Row& row, int block, double width,
              double height, const std::string& data) {
  constexpr int margin = FeatureLayout::margin;
  const double bottom = row.tiles_top + row.tile_h, gap = FeatureLayout::gap / row.scale;  // gap in values
  auto x = [&](double pixels) { return "screen " + std::to_string(pixels / width); };
  auto y = [&](double pixels) { return "screen " + std::to_string(1.0 - pixels / height); };
  gp << "\n# " << layer.name << "\nset label 1 " << gnuplot_string(row_label(layer)) << " at " << x(margin) << ", "
     << y(row.tiles_top - 20) << " left font ',16'\n"
     << "set lmargin at " << x(margin) << "\nset rmargin at " << x(margin + row.width) << "\nset tmargin at "
     << y(row.tiles_top) << "\nset bmargin at " << y(bottom) << "\n"
     << "set xrange [-0.5:" << layer.channels * (layer.width + gap) - gap - 0.5 << "]\nset yrange ["
     << layer.height - 0.5 << ":-0.5]\n";
  if (layer.activation.empty()) {  // the input: grey, from 0 (or its minimum) to its maximum
    const auto [low_it, high_it] = std::minmax_element(layer.values.begin(), layer.values.end());
    const double low = std::min(0.0, double(*low_it)), high = std::max(double(*high_it), low + 1e-6);
    gp << "set palette gray\nset cbrange [" << number(low) << ":" << number(high) << "]\nset cbtics ("
       << gnuplot_string(number(low)) << " " << number(low) << ", " << gnuplot_string(number(high)) << " "
       << number(high) << ")\n";
  } else {
    const ColorScale scale = color_scale(layer);
    const std::string m = number(scale.limit), beyond = scale.clipped ? "≥ " : "", below = scale.clipped ? "≤ " : "";
    gp << "set palette defined " << diverging_palette << "\nset cbrange [-" << m << ":" << m << "]\nset cbtics ('"
       << below << "-" << m << "' -" << m << ", '0' 0, '" << beyond << m << "' " << m << ")\n";
  }
  gp << "set colorbox user origin " << x(margin + row.width + FeatureLayout::colorbox_gap) << ", " << y(bottom)
     << " size screen " << FeatureLayout::colorbox / width << ", screen " << row.tile_h / height << "\n";
  if (layer.channels == 1) {
    gp << "unset xtics\n";
  } else {
    gp << "set xtics nomirror offset 0,0.4 font ',11' (";
    for (int c = 0; c < layer.channels; ++c)
      gp << (c ? ", " : "") << "'" << c << "' " << c * (layer.width + gap) + (layer.width - 1) / 2.0;
    gp << ")\n";
  }
  gp << "plot ";
  for (int c = 0; c < layer.channels; ++c)
    gp << (c ? ", \\\n     " : "") << gnuplot_string(data) << " index " << block + c << " matrix using ($1 + "
       << c * (layer.width + gap) << "):2:3 with image";
  gp << "\n";
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

std::string row_label(const FeatureMaps::Layer& layer) {
  const std::string size = std::to_string(layer.height) + "×" + std::to_string(layer.width);
  if (layer.activation.empty())
    return layer.name + " (" + (layer.channels == 1 ? "" : std::to_string(layer.channels) + " channels of ") + size + ")";
  const std::string n = layer.name.substr(layer.name.find_first_of("0123456789"));
  std::string what = layer.activation == "ReLU"       ? "ReLU"
                     : layer.activation == "Identity" ? "identity (linear)"
                     : layer.activation.starts_with("ReLUAlpha") ? "ReLU_α"
                                                                 : enhanced_literal(layer.activation);
  if (layer.alphas.size() == 1) {
    what += ", α_" + n + " = " + number(layer.alphas[0]);
  } else if (!layer.alphas.empty()) {
    const auto [low, high] = std::minmax_element(layer.alphas.begin(), layer.alphas.end());
    double mean = 0.0;
    for (float a : layer.alphas) mean += a;
    what += " per channel, α_" + n + " from " + number(*low) + " to " + number(*high) + " (mean " +
            number(mean / double(layer.alphas.size())) + ")";
  }
  return "layer " + n + ": " + what + "   (" + layer.name + ", " + std::to_string(layer.channels) + " channels of " +
         size + ")";
}

ColorScale color_scale(const FeatureMaps::Layer& layer) {
  std::vector<float> sizes(layer.values.size());
  std::ranges::transform(layer.values, sizes.begin(), [](float v) { return std::abs(v); });
  std::ranges::sort(sizes);
  const float largest = sizes.back();
  const float percentile = sizes[(sizes.size() * 99 + 99) / 100 - 1];  // the ceil(0.99 n)-th smallest
  const float limit = percentile > 0.0f ? percentile : largest > 0.0f ? largest : 1.0f;
  return {limit, largest > limit};
}

void draw_feature_maps(const FeatureMaps& maps, const std::string& title, const fs::path& dir,
                       const std::string& png) {
  using L = FeatureLayout;
  std::vector<Row> rows;
  int top = L::title, widest = 0;
  for (const FeatureMaps::Layer& layer : maps.layers) {
    rows.push_back(row_of(layer, top));
    widest = std::max(widest, rows.back().width);
    top = int(std::lround(rows.back().tiles_top + rows.back().tile_h)) + L::numbers + L::row_gap;
  }
  const int width = std::max({L::min_width, L::margin + widest + L::colorbox_gap + L::colorbox + L::colorbox_tics,
                              2 * L::margin + 11 * int(title.size())});
  const int height = top - L::row_gap + L::margin;

  const fs::path data_dir = dir / "data";
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) throw Error(data_dir.string() + ": cannot create directory: " + ec.message());
  const std::string stem = fs::path(png).stem().string();
  const fs::path data = fs::path("data") / (stem + ".dat"), script = data_dir / (stem + ".gp");
  write_data(maps, dir / data);

  std::ofstream gp(script);
  gp << "# " << title << "\n# One row per layer; each activation layer on one colour scale, symmetric about 0.\n"
     << "set encoding utf8\nset terminal pngcairo enhanced font 'sans,11' size " << width << "," << height
     << "\nset output " << gnuplot_string(png) << "\nset multiplot title " << gnuplot_string(title)
     << " font ',20'\nunset key\nunset border\nset tics scale 0\nunset ytics\n"
     << "set cbtics font ',12'\n";
  int block = 0;
  for (std::size_t i = 0; i < maps.layers.size(); ++i) {
    plot_row(gp, maps.layers[i], rows[i], block, width, height, data.string());
    block += maps.layers[i].channels;
  }
  gp << "unset multiplot\nset output\n";
  if (!gp) throw Error(script.string() + ": cannot write");
  gp.close();
  run_gnuplot(dir, script, data_dir / (stem + ".log"));
}

void add_features_command(CLI::App& app, const NetworkList& networks) {
  struct Options {
    std::filesystem::path checkpoint, data = default_data_dir(), out = "features.png";
    std::string net, activation;
    int index = 0;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "features", "Feature maps of one test image: the input and every activation layer's output, one row per "
                  "layer, drawn by gnuplot as a PNG (its data and script go to data/ beside it)");
  cmd->add_option("--checkpoint", options->checkpoint, "Model to use (.safetensors)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--index", options->index, "Test image to feed (0-based)")->required()->check(at_least(0));
  cmd->add_option("--data", options->data, "FashionMNIST directory")->capture_default_str();
  cmd->add_option("--out", options->out, "PNG file to write")->capture_default_str();
  add_network_options(cmd, networks, options->net, options->activation);
  cmd->callback([options, &networks] {
    require_gnuplot();
    const fs::path dir = options->out.has_parent_path() ? options->out.parent_path() : fs::path(".");
    if (!fs::is_directory(dir))
      throw Error(options->out.string() + ": cannot write: no directory " + dir.string());
    const CheckpointInfo info = read_checkpoint_info(networks, options->checkpoint, options->net, options->activation);
    const Dataset test = load_fashion_mnist(options->data, Split::test);
    if (options->index >= test.size())
      throw UsageError("--index " + std::to_string(options->index) + " is out of range: the test set has " +
                       std::to_string(test.size()) + " images");
    const FeatureMaps maps = feature_maps(info, test.images, options->index);
    const std::string truth(class_name(test.labels[std::size_t(options->index)])),
        predicted(class_name(maps.predicted));
    const std::string title = enhanced_literal(options->checkpoint.string()) + ": " + truth + " (test image " +
                              std::to_string(options->index) + "), predicted " + predicted;
    draw_feature_maps(maps, title, dir, options->out.filename().string());
    std::printf("test image %d (%s): predicted %s\nwrote %s\n", options->index, truth.c_str(), predicted.c_str(),
                options->out.c_str());
  });
}

}  // namespace linconv::cli
