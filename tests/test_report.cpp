// `linconv features` and `linconv report` as users run them. The feature maps of a network whose
// weights are built by hand (identity and negated-identity kernels) must reproduce the input
// image in known tiles; the report's table, findings and gnuplot data are checked against
// numbers computed here from the runs' own files.
#include <png.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <array>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "linconv/checkpoint.hpp"
#include "linconv/fashion_net.hpp"
#include "feature_maps.hpp"
#include "linconv/fold.hpp"
#include "linconv/model.hpp"
#include "support/cli.hpp"

namespace {

using namespace linconv::testing;
using Catch::Contains;
using Catch::StartsWith;

struct Png {
  int width = 0, height = 0;
  std::vector<std::uint8_t> pixels;  // grey, or RGB, row-major
};

Png read_png(const fs::path& file, std::uint32_t format = PNG_FORMAT_GRAY) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  REQUIRE(png_image_begin_read_from_file(&image, file.c_str()) != 0);
  image.format = format;
  Png png{int(image.width), int(image.height), std::vector<std::uint8_t>(PNG_IMAGE_SIZE(image))};
  REQUIRE(png_image_finish_read(&image, nullptr, png.pixels.data(), 0, nullptr) != 0);
  return png;
}

// The pixels of an RGB image that are clearly red (positive values) and clearly blue (negative).
std::pair<int, int> red_and_blue(const Png& rgb) {
  int red = 0, blue = 0;
  for (std::size_t i = 0; i + 2 < rgb.pixels.size(); i += 3) {
    const int r = rgb.pixels[i], b = rgb.pixels[i + 2];
    red += r > b + 60;
    blue += b > r + 60;
  }
  return {red, blue};
}

// A feature figure's data (feature_maps.hpp): one block per channel, layer after layer, each
// starting with "# <layer> channel <c>: <h> lines of <w> values".
struct Block {
  std::string layer;
  int channel = 0, height = 0, width = 0;
  std::vector<double> values;
};
std::vector<Block> feature_blocks(const fs::path& file) {
  std::vector<Block> blocks;
  std::istringstream lines(read_file(file));
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("# ")) {
      Block& b = blocks.emplace_back();
      char layer[32] = {};
      REQUIRE(std::sscanf(line.c_str(), "# %31s channel %d: %d lines of %d values", layer, &b.channel, &b.height,
                          &b.width) == 4);
      b.layer = layer;
    } else if (!line.empty()) {
      REQUIRE(!blocks.empty());
      std::istringstream row(line);
      std::size_t n = 0;
      for (double v; row >> v; ++n) blocks.back().values.push_back(v);
      CHECK(int(n) == blocks.back().width);
    }
  }
  for (const Block& b : blocks) CHECK(b.values.size() == std::size_t(b.height * b.width));
  return blocks;
}

// The colour scale a figure's script sets for `layer`: [low, high] of "set cbrange" in its section.
std::pair<double, double> color_range(const std::string& script, const std::string& layer) {
  const std::size_t section = script.find("\n# " + layer + "\n");
  REQUIRE(section != std::string::npos);
  double low = 0, high = 0;
  REQUIRE(std::sscanf(script.c_str() + script.find("set cbrange [", section), "set cbrange [%lf:%lf]", &low, &high) == 2);
  return {low, high};
}

// Test image `index` of write_dataset(), as the network sees it (pixels / 255).
std::vector<double> unit_image(int index) {
  std::vector<double> pixels(784);
  for (int k = 0; k < 784; ++k) pixels[std::size_t(k)] = std::uint8_t((std::size_t(index) * 784 + k) * 7) / 255.0;
  return pixels;
}

// A file name as gnuplot's enhanced text shows it as it is: _ (and the like) escaped.
std::string enhanced_literal(const std::string& text) { return std::regex_replace(text, std::regex("_"), "\\_"); }

// A number as the figure's script writes it: 3 significant digits.
std::string number_text(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", value);
  return text;
}

// Values as the data file writes them: 4 significant digits.
bool close(double written, double exact) { return std::abs(written - exact) <= 5e-4 * std::max(1.0, std::abs(exact)); }

// How many of `values` differ from f(k), k the value's index.
template <class F>
int mismatches(const std::vector<double>& values, F f) {
  int off = 0;
  for (std::size_t k = 0; k < values.size(); ++k) off += !close(values[k], f(k));
  return off;
}

// A checkpoint whose convolutions pass the image through channel 0 unchanged and negated through
// channel 1 (a single centre tap of +1 / -1); the other channels are constant (their bias); the
// classifier always says class 7 (Sneaker).
// `alphas`, for a network that learns them: act1, act2 and act3's.
template <class Net>
void write_hand_made_checkpoint(const fs::path& file, std::vector<float> alphas = {}) {
  linconv::Params<Net> params;
  auto tensor = [&](const std::string& name) {
    for (const linconv::NetTensor& t : Net::tensors)
      if (t.name() == name) return params.tensor(t);
    for (const linconv::NetTensor& t : Net::buffer_tensors)
      if (t.name() == name) return params.tensor(t);
    FAIL("no tensor " << name);
    return std::span<float>();
  };
  // Batch norm, where there is one, passes its input on (scaled by 1 / sqrt(1 + eps)).
  if constexpr (Net::buffer_tensor_count > 0)
    for (const std::string bn : {"bn1", "bn2", "bn3"}) {
      std::ranges::fill(tensor(bn + ".weight"), 1.0f);
      std::ranges::fill(tensor(bn + ".running_var"), 1.0f);
    }
  tensor("conv1.weight")[0 * 25 + 12] = 1.0f;
  tensor("conv1.weight")[1 * 25 + 12] = -1.0f;
  for (int c = 2; c < 8; ++c) tensor("conv1.bias")[c] = float(c);
  tensor("conv2.weight")[(0 * 8 + 0) * 25 + 12] = 1.0f;
  tensor("conv2.weight")[(1 * 8 + 1) * 25 + 12] = 1.0f;
  tensor("conv3.weight")[(0 * 16 + 0) * 9 + 4] = 1.0f;
  tensor("conv3.weight")[(1 * 16 + 1) * 9 + 4] = 1.0f;
  tensor("fc1.bias")[7] = 1.0f;
  for (std::size_t k = 0; k < alphas.size(); ++k) std::ranges::fill(tensor("act" + std::to_string(k + 1) + ".alpha"), alphas[k]);
  linconv::save_checkpoint(file, params, R"({"input_scale": "unit"})");
}

}  // namespace

TEST_CASE("features: the figure's data are the hand-made network's maps, each layer on one symmetric scale", "[cli]") {
  const TempDir dir;
  write_dataset(dir, 30);
  const std::vector<double> image = unit_image(9);
  const double brightest = *std::ranges::max_element(image);
  const std::string common = " --index 9 --data " + dir.path().string() + " --out ";

  write_hand_made_checkpoint<linconv::FashionNetWith<linconv::ReLU>>(dir / "relu.safetensors");
  const Result relu = linconv_cli("features --checkpoint " + (dir / "relu.safetensors").string() + common +
                                  (dir / "relu.png").string());
  INFO(relu.err);
  REQUIRE(relu.status == 0);
  CHECK_THAT(relu.out, Contains("test image 9 (Ankle boot): predicted Sneaker"));
  std::vector<Block> blocks = feature_blocks(dir / "data" / "relu.dat");
  REQUIRE(blocks.size() == 1 + 8 + 16 + 32);
  for (const Block& b : blocks) CHECK((b.height == 28 && b.width == 28));
  // Blocks: 0 the input, 1-8 act1, 9-24 act2, 25-56 act3.
  CHECK(blocks[0].layer == "input");
  CHECK((blocks[1].layer == "act1" && blocks[1].channel == 0 && blocks[9].layer == "act2" && blocks[25].layer == "act3"));
  CHECK((blocks[56].layer == "act3" && blocks[56].channel == 31));
  auto pixel = [&](std::size_t k) { return image[k]; };
  auto zero = [](std::size_t) { return 0.0; };
  CHECK(mismatches(blocks[0].values, pixel) == 0);
  CHECK(mismatches(blocks[1].values, pixel) == 0);  // act1 channel 0: ReLU(x) = x
  CHECK(mismatches(blocks[2].values, zero) == 0);   // channel 1: ReLU(-x) = 0
  for (int c = 2; c < 8; ++c) CHECK(mismatches(blocks[std::size_t(1 + c)].values, [c](std::size_t) { return c; }) == 0);
  CHECK(mismatches(blocks[9].values, pixel) == 0);   // act2 channel 0
  CHECK(mismatches(blocks[25].values, pixel) == 0);  // act3 channel 0
  // One scale per activation layer, symmetric about 0 at the 99th percentile of its |values|:
  // act1's is its largest, the bias 7 (more than 1% of the values), with nothing beyond it; act2
  // and act3 have x in one channel of 16 and 32 and 0 elsewhere: the largest 1% of x are beyond.
  const std::string script = read_file(dir / "data" / "relu.gp");
  CHECK(color_range(script, "act1") == std::pair(-7.0, 7.0));
  CHECK_THAT(script, Contains("set cbtics ('-7' -7, '0' 0, '7' 7)"));
  for (const auto& [layer, first, count] : {std::tuple("act2", 9, 16), std::tuple("act3", 25, 32)}) {
    INFO(layer);
    std::vector<double> sizes;
    for (int b = first; b < first + count; ++b)
      for (double v : blocks[std::size_t(b)].values) sizes.push_back(std::abs(v));
    std::ranges::sort(sizes);
    const double percentile = sizes[std::size_t(std::ceil(0.99 * double(sizes.size()))) - 1];
    const auto [low, high] = color_range(script, layer);
    CHECK(low == -high);
    CHECK(std::abs(high - percentile) <= 5e-3 * percentile);  // as the script writes it: 3 digits
    CHECK(percentile < sizes.back());
    CHECK_THAT(script, Contains("set cbtics ('≤ -" + number_text(high) + "' -" + number_text(high) + ", '0' 0, '≥ " +
                                number_text(high) + "' " + number_text(high) + ")"));
  }
  CHECK(color_range(script, "input") == std::pair(0.0, std::stod(number_text(brightest))));  // grey from 0
  CHECK_THAT(script, Contains("'layer 1: ReLU   (act1, 8 channels of 28×28)'") &&
                         Contains("'layer 3: ReLU   (act3, 32 channels of 28×28)'") && Contains("'input (28×28)'") &&
                         Contains("multiplot title '" + enhanced_literal((dir / "relu.safetensors").string()) +
                                  ": Ankle boot (test image 9), predicted Sneaker'") &&
                         Contains("set output 'relu.png'"));
  // One row per layer: the figure is as wide as the 32 tiles of act3 in one row, and coloured.
  const Png png = read_png(dir / "relu.png", PNG_FORMAT_RGB);
  using Layout = linconv::cli::FeatureLayout;
  CHECK(png.width == Layout::margin + 32 * Layout::tile + 31 * Layout::gap + Layout::colorbox_gap + Layout::colorbox +
                         Layout::colorbox_tics);
  CHECK(png.height == Layout::title + 4 * (Layout::label + Layout::tile + Layout::numbers) + 3 * Layout::row_gap +
                          Layout::margin);
  // Red: act1's biases 3 to 7 (of 7) and channel 0 of act2 and act3; blue: only the colour bars'
  // lower halves (3 bars of 16 x 42 pixels).
  CHECK(red_and_blue(png).first > 5 * Layout::tile * Layout::tile);
  CHECK(red_and_blue(png).second < 3 * Layout::colorbox * Layout::tile / 2);

  // The identity: channel 1 is -x in every layer, in blue.
  write_hand_made_checkpoint<linconv::FashionNetWith<linconv::Identity>>(dir / "linear.safetensors");
  REQUIRE(linconv_cli("features --checkpoint " + (dir / "linear.safetensors").string() + common +
                      (dir / "linear.png").string()).status == 0);
  blocks = feature_blocks(dir / "data" / "linear.dat");
  REQUIRE(blocks.size() == 57);
  for (std::size_t block : {2, 10, 26}) CHECK(mismatches(blocks[block].values, [&](std::size_t k) { return -image[k]; }) == 0);
  CHECK_THAT(read_file(dir / "data" / "linear.gp"), Contains("'layer 2: identity (linear)   (act2, 16 channels of 28×28)'"));
  // Blue: channel 1 of act2 and act3, where -x is below a third of the scale, about half of them.
  CHECK(red_and_blue(read_png(dir / "linear.png", PNG_FORMAT_RGB)).second > 3 * Layout::colorbox * Layout::tile / 2 + Layout::tile * Layout::tile);

  // ReLU_alpha: channel 1 is -(1 - alpha_1) x after act1; each row names its alpha.
  write_hand_made_checkpoint<linconv::FashionNet>(dir / "alpha.safetensors", {0.25f, 0.5f, 0.875f});
  REQUIRE(linconv_cli("features --checkpoint " + (dir / "alpha.safetensors").string() + common +
                      (dir / "alpha.png").string()).status == 0);
  blocks = feature_blocks(dir / "data" / "alpha.dat");
  REQUIRE(blocks.size() == 57);
  CHECK(mismatches(blocks[2].values, [&](std::size_t k) { return -0.75 * image[k]; }) == 0);
  CHECK(mismatches(blocks[10].values, [&](std::size_t k) { return -0.75 * 0.5 * image[k]; }) == 0);
  CHECK(mismatches(blocks[26].values, [&](std::size_t k) { return -0.75 * 0.5 * 0.125 * image[k]; }) == 0);
  CHECK_THAT(read_file(dir / "data" / "alpha.gp"), Contains("'layer 1: ReLU_α, α_1 = 0.25   (act1, ") &&
                                                       Contains("'layer 2: ReLU_α, α_2 = 0.5   (act2, ") &&
                                                       Contains("'layer 3: ReLU_α, α_3 = 0.875   (act3, "));
}

TEST_CASE("features: the first attempt's rows are its activations before each pool: 28, 14, then 7 wide", "[cli]") {
  const TempDir dir;
  write_dataset(dir, 30);
  write_hand_made_checkpoint<linconv::FashionNetBnPoolWith<linconv::ReLU>>(dir / "bn.safetensors");
  const Result r = linconv_cli("features --checkpoint " + (dir / "bn.safetensors").string() + " --index 9 --data " +
                               dir.path().string() + " --out " + (dir / "bn.png").string());
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Contains("predicted Sneaker"));
  const std::vector<Block> blocks = feature_blocks(dir / "data" / "bn.dat");
  REQUIRE(blocks.size() == 1 + 8 + 16 + 32);
  CHECK((blocks[1].width == 28 && blocks[9].width == 14 && blocks[9].height == 14 && blocks[25].width == 7));

  // Channel 0 is the image at each activation (batch norm scales it by 1 / sqrt(1 + eps)); a 2x2
  // max pool halves it before the next one.
  auto pooled = [](const std::vector<double>& plane, int size) {
    std::vector<double> out(std::size_t(size / 2) * (size / 2));
    for (int y = 0; y < size / 2; ++y)
      for (int x = 0; x < size / 2; ++x)
        out[std::size_t(y * (size / 2) + x)] = std::max({plane[std::size_t(2 * y * size + 2 * x)],
                                                         plane[std::size_t(2 * y * size + 2 * x + 1)],
                                                         plane[std::size_t((2 * y + 1) * size + 2 * x)],
                                                         plane[std::size_t((2 * y + 1) * size + 2 * x + 1)]});
    return out;
  };
  std::vector<double> plane = unit_image(9);
  for (std::size_t block : {1, 9, 25}) {
    INFO("block " << block);
    CHECK(mismatches(blocks[block].values, [&](std::size_t k) { return plane[k]; }) == 0);
    plane = pooled(plane, blocks[block].width);
  }
  // Every tile is as large as a 28x28 one: the rows are as wide as their channels' count says.
  const Png png = read_png(dir / "bn.png");
  using Layout = linconv::cli::FeatureLayout;
  CHECK(png.width == Layout::margin + 32 * Layout::tile + 31 * Layout::gap + Layout::colorbox_gap + Layout::colorbox +
                         Layout::colorbox_tics);
}

TEST_CASE("features: bad input exits with one line naming the flag or file", "[cli]") {
  const TempDir dir;
  write_dataset(dir, 30);
  write_hand_made_checkpoint<linconv::FashionNetWith<linconv::ReLU>>(dir / "model.safetensors");
  const std::string data = " --data " + dir.path().string();
  const std::string model = " --checkpoint " + (dir / "model.safetensors").string();
  require_error(linconv_cli("features --index 0 --checkpoint " + (dir / "none.safetensors").string() + data), 2,
                "--checkpoint");
  require_error(linconv_cli("features" + model + data + " --index 30"), 2,
                "--index 30 is out of range: the test set has 30 images");
  require_error(linconv_cli("features" + model + data + " --index -1"), 2, "--index");
  write_file(dir / "bad.safetensors", std::string("not a checkpoint"));
  require_error(linconv_cli("features --index 0 --checkpoint " + (dir / "bad.safetensors").string() + data), 1,
                "bad.safetensors");
  require_error(linconv_cli("features" + model + data + " --index 0 --out " + (dir / "no" / "x.png").string()), 1,
                "x.png: cannot write: no directory " + (dir / "no").string());
  const std::string path = std::getenv("PATH");
  setenv("PATH", "/nonexistent", 1);
  const Result without_gnuplot = linconv_cli("features" + model + data + " --index 0 --out " + (dir / "x.png").string());
  setenv("PATH", path.c_str(), 1);
  require_error(without_gnuplot, 1, "gnuplot not found on PATH: linconv draws its figures with it");
  CHECK_FALSE(fs::exists(dir / "x.png"));
}

namespace {

struct FakeRun {
  std::string activation;
  double lambda;
  std::string reduction;
  int seed;
  std::vector<double> accuracy;               // per epoch
  std::array<double, 3> final_alphas{};       // of the last step
  int planned_epochs = 0;                     // config.json's epochs; 0: one per accuracy
  int steps_per_epoch = 2;
  std::string net;                            // config.json's net; none written when empty
  std::string controls;                       // more of config.json ("\"optimizer\": \"sgd\", ...")
  std::string data = "/nonexistent";          // config.json's data
};

// A run folder as `linconv train` writes it; the loss is 3 / step and the alphas go linearly from
// 0.5 to their final values.
void write_fake_run(const fs::path& runs, const std::string& name, const FakeRun& run) {
  const fs::path dir = runs / name;
  fs::create_directories(dir);
  const int epochs = int(run.accuracy.size());
  write_file(dir / "config.json",
             "{" + (run.net.empty() ? "" : "\"net\": \"" + run.net + "\", ") + "\"activation\": \"" +
                 run.activation + "\", \"lambda\": " + std::to_string(run.lambda) +
                 ", \"epochs\": " + std::to_string(run.planned_epochs ? run.planned_epochs : epochs) + ", \"reduction\": \"" + run.reduction +
                 "\", \"input_scale\": \"unit\", \"batch\": 100, \"seed\": " + std::to_string(run.seed) +
                 ", \"limit\": null, \"steps\": null, \"data\": \"" + run.data + "\"" +
                 (run.controls.empty() ? "" : ", " + run.controls) + "}");
  std::string metrics = "step,epoch,loss,ce,penalty,alpha1,alpha2,alpha3,grad_alpha1,grad_alpha2,grad_alpha3\n";
  const int steps = run.steps_per_epoch * epochs;
  for (int s = 1; s <= steps; ++s) {
    metrics += std::to_string(s) + "," + std::to_string((s - 1) / run.steps_per_epoch + 1) + "," +
               std::to_string(3.0 / s) + "," + std::to_string(3.0 / s) + ",0";  // loss = ce, no penalty
    for (int k = 0; k < 3; ++k) {
      const double alpha = 0.5 + (run.final_alphas[k] - 0.5) * s / steps;
      metrics += run.activation == "alpha" ? "," + std::to_string(alpha) : ",";
    }
    metrics += run.activation == "alpha" ? ",0,0,0\n" : ",,,\n";
  }
  write_file(dir / "metrics.csv", metrics);
  std::string epochs_csv = "epoch,train_loss,test_loss,test_acc,seconds,images_per_s\n";
  for (int e = 1; e <= epochs; ++e)
    epochs_csv += std::to_string(e) + ",1,1," + std::to_string(run.accuracy[e - 1]) + ",1,1\n";
  write_file(dir / "epochs.csv", epochs_csv);
}

// The table row of report.md whose first cells are `prefix` ("| relu |  | 1 | mean | unit |").
std::vector<std::string> table_row(const std::string& report, const std::string& prefix) {
  std::vector<std::string> rows;
  std::istringstream lines(report);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind(prefix, 0) == 0) rows.push_back(line);
  REQUIRE(rows.size() == 1);
  std::vector<std::string> cells;
  std::istringstream parts(rows[0].substr(1));
  for (std::string cell; std::getline(parts, cell, '|');) cells.push_back(cell.substr(1, cell.size() - 2));
  return cells;
}

}  // namespace

TEST_CASE("report: table, findings and plot data from hand-written runs", "[cli]") {
  const TempDir dir;
  const fs::path runs = dir / "runs";
  write_fake_run(runs, "r0", {"relu", 0.5, "mean", 0, {0.78, 0.80}});
  write_fake_run(runs, "r1", {"relu", 0.5, "mean", 1, {0.80, 0.82}});
  write_fake_run(runs, "l0", {"linear", 0.5, "mean", 0, {0.65, 0.70}});
  write_fake_run(runs, "l1", {"linear", 0.5, "mean", 1, {0.70, 0.74}});
  // The folder names do not say the setting: the report reads config.json.
  write_fake_run(runs, "x", {"alpha", 0.5, "mean", 0, {0.7, 0.81}, {0.6, 1.0, 1.0}});
  write_fake_run(runs, "y", {"alpha", 0.5, "mean", 1, {0.7, 0.80}, {0.7, 0.98, 1.02}});
  write_fake_run(runs, "z", {"alpha", 0.5, "mean", 2, {0.7, 0.82}, {0.65, 0.95, 1.0}});
  write_fake_run(runs, "s0", {"alpha", 0.5, "sum", 0, {0.7, 0.75}, {0.0, 0.02, 0.5}});
  write_fake_run(runs, "rs", {"relu", 0.5, "sum", 0, {0.79, 0.81}});
  write_fake_run(runs, "unfinished", {"alpha", 2.0, "sum", 0, {0.7}, {0.5, 0.5, 0.5}, 3});

  const Result r = linconv_cli("report " + dir.path().string());
  INFO(r.err);
  REQUIRE(r.status == 0);
  const std::string report = read_file(dir / "report.md");

  // mean ± sample std over seeds, by hand: relu 0.80, 0.82; linear 0.70, 0.74; alpha 0.81, 0.80, 0.82
  CHECK(table_row(report, "| relu |  | 2 | mean | unit |")[6] == "81.00 ± 1.41");
  CHECK(table_row(report, "| linear |  | 2 | mean | unit |")[6] == "72.00 ± 2.83");
  // The 95 % interval of the mean, mean +- t(0.975, n - 1) s / sqrt(n): relu 81 +- 12.706 * 1,
  // linear 72 +- 12.706 * 2, alpha 81 +- 4.303 / sqrt(3).
  CHECK(table_row(report, "| relu |  | 2 | mean | unit |")[7] == "[68.29, 93.71]");
  const auto linear = table_row(report, "| linear |  | 2 | mean | unit |");
  CHECK(linear[7] == "[46.59, 97.41]");
  CHECK_THAT(linear[8], StartsWith("-9.00 (95 % interval ") && Contains("Welch p = "));
  CHECK(linear[9] == "-11.1 %");  // -9 / 81
  const auto alpha = table_row(report, "| alpha | 0.5 | 2 | mean | unit |");
  CHECK(alpha[5] == "3");
  CHECK(alpha[6] == "81.00 ± 1.00");
  CHECK(alpha[7] == "[78.52, 83.48]");
  CHECK_THAT(alpha[8], StartsWith("+0.00 (95 % interval "));
  CHECK(alpha[9] == "+0.0 %");
  CHECK(alpha[10] == "0.650 ± 0.050");
  CHECK(alpha[11] == "0.977 ± 0.025");
  CHECK(alpha[12] == "1.007 ± 0.012");
  const auto sum = table_row(report, "| alpha | 0.5 | 2 | sum | unit |");
  CHECK(sum[6] == "75.00");
  CHECK(sum[7] == "one seed");
  CHECK(sum[8] == "-6.00 (one seed: no interval)");
  CHECK(sum[9] == "-7.4 %");  // -6 / 81
  CHECK_THAT(report, !Contains("| alpha | 2 |"));

  // Findings, with the thresholds of the text: within 0.1 of 0 or 1; as accurate: within 1 point
  // on the 95 % interval. The fake alphas move linearly from 0.5 to their final value, so over the
  // last of two epochs each changes by (final - 0.5) / 4 (more than 0.01: moving) but for 0.5.
  CHECK_THAT(report, Contains("**mean reduction, unit input**\n\n| λ | epochs | seeds | α1 | α2 | α3 |\n"
                              "|---:|---:|---:|---|---|---|\n"
                              "| 0.5 | 2 | 3 | 3 between · 3 moving | 3 →1 · 3 moving | 3 →1 · 3 moving |\n"));
  CHECK_THAT(report, Contains("| 0.5 | 2 | 1 | 1 →0 · 1 moving | 1 →0 · 1 moving | 1 between |\n"));
  CHECK_THAT(report, Contains("the linear net is 9.00 points (11.1 % relative) less accurate; ReLU - linear = +9.00 "
                              "(95 % interval "));
  CHECK_THAT(report, Contains("  - mean reduction, unit input (3 runs): α3 → 1 in 3, α2 → 1 in 3, α1 in [0.5, 0.8] in "
                              "3, α3 ≥ α2 ≥ α1 in 3; all four in 3.\n"
                              "  - sum reduction, unit input (1 runs): α3 → 1 in 0, α2 → 1 in 0, α1 in [0.5, 0.8] in "
                              "0, α3 ≥ α2 ≥ α1 in 1; all four in 0.\n"));
  // alpha 81.00 +- 1.00 against ReLU 81.00 +- 1.41: a difference of 0 whose interval, with 3 and
  // 2 seeds, reaches far past 1 point; the sum setting has one seed of each.
  CHECK_THAT(report, Contains("agrees in 0, disagrees in 1 and is undecided in 1 of 2 settings"));
  // 9 points with 2 seeds a side: the interval is wide and holds 7.5.
  CHECK_THAT(report, Contains("- linear 7.5 points less accurate than ReLU (mean reduction, unit input, 2 epochs): "
                              "**consistent**, the gap is 9.00 points (95 % interval "));
  CHECK_THAT(report, Contains("| 0.5 | 2 | mean reduction, unit input | 0.65 / 0.98 / 1.01 | 3 of 3 | +0.00 (95 % "
                              "interval "));
  // Each layer's mean alpha with its 95 % interval, t(2 df) = 4.303: alpha1 0.6, 0.7, 0.65 give
  // 0.65 ± 4.303 x 0.05 / sqrt(3).
  CHECK_THAT(report, Contains(") | **undecided** | [0.53, 0.77] / [0.91, 1.04] / [0.98, 1.04] |\n"));
  CHECK_THAT(report, Contains("| 0.5 | 2 | sum reduction, unit input | 0.00 / 0.02 / 0.50 | 0 of 1 | -6.00 (one seed: "
                              "no interval) | **disagrees** (one seed) | one seed |"));
  CHECK_THAT(report, Contains("- unfinished: unfinished (1 of 3 epochs)"));
  CHECK_THAT(report, Contains("ReLU net: skipped, no model.safetensors in runs/rs"));  // sum preferred

  // Every seed's alpha series is in the plot data, x in epochs: per alpha, the 3 seeds, then their
  // mean with the band from the lowest to the highest seed (x, y, low, high).
  const std::string data = read_file(dir / "figures" / "data" / "alpha-l0.5-e2-mean-unit-alphas.dat");
  std::vector<std::vector<std::array<double, 4>>> blocks(1);
  std::istringstream lines(data);
  for (std::string line; std::getline(lines, line);) {
    std::array<double, 4> v{};
    if (line.empty() && !blocks.back().empty()) blocks.emplace_back();
    else if (std::sscanf(line.c_str(), "%lf %lf %lf %lf", &v[0], &v[1], &v[2], &v[3]) >= 2) blocks.back().push_back(v);
  }
  if (blocks.back().empty()) blocks.pop_back();
  REQUIRE(blocks.size() == 12);
  const double finals[3][3] = {{0.6, 1.0, 1.0}, {0.7, 0.98, 1.02}, {0.65, 0.95, 1.0}};
  for (int k = 0; k < 3; ++k) {
    CAPTURE(k);
    for (int seed = 0; seed < 3; ++seed) {
      const auto& block = blocks[std::size_t(k * 4 + seed)];
      REQUIRE(block.size() == 4);
      CHECK(block.back()[0] == 2.0);  // step 4 of 2 steps an epoch
      CHECK(block.back()[1] == Approx(finals[seed][k]));
    }
    const auto& mean = blocks[std::size_t(k * 4 + 3)].back();
    CHECK(mean[1] == Approx((finals[0][k] + finals[1][k] + finals[2][k]) / 3));
    CHECK(mean[2] == Approx(std::min({finals[0][k], finals[1][k], finals[2][k]})));
    CHECK(mean[3] == Approx(std::max({finals[0][k], finals[1][k], finals[2][k]})));
  }
  for (const char* figure : {"relu-e2-mean-unit-loss", "linear-e2-mean-unit-loss", "alpha-l0.5-e2-mean-unit-loss",
                             "alpha-l0.5-e2-sum-unit-alphas"}) {
    CHECK(fs::file_size(dir / "figures" / (std::string(figure) + ".svg")) > 1000);
    const Png png = read_png(dir / "figures" / (std::string(figure) + ".png"));
    CHECK(png.width >= 900);
    const auto [darkest, brightest] = std::minmax_element(png.pixels.begin(), png.pixels.end());
    CHECK(*darkest < *brightest);
  }
  CHECK_THAT(report, Contains("![Cross-entropy and test accuracy: relu, 2 epochs, mean reduction, unit input]"
                              "(figures/relu-e2-mean-unit-loss.png)"));
  CHECK(fs::file_size(dir / "figures" / "alpha-vs-lambda-e2.png") > 1000);
  CHECK_THAT(report, Contains("(figures/alpha-vs-lambda-e2.png)"));
  CHECK_THAT(report, !Contains("first attempt"));  // no --net fashion-bn-pool run
}

TEST_CASE("report: lambdas too close to label apart on the log axis keep their tick, not their label", "[cli]") {
  const TempDir dir;
  for (const double lambda : {0.5, 0.7, 0.9, 2.0})
    write_fake_run(dir / "runs", "l" + std::to_string(lambda), {"alpha", lambda, "mean", 0, {0.8}, {0.1, 0.2, 0.3}});
  const Result r = linconv_cli("report " + dir.path().string());
  INFO(r.err);
  REQUIRE(r.status == 0);
  // log10: 0.5 -0.30, 0.7 -0.15 (0.15 on), 0.9 -0.05 (0.11 after 0.7: unlabelled), 2 +0.30.
  CHECK_THAT(read_file(dir / "figures" / "data" / "alpha-vs-lambda-e1.gp"), Contains("set xtics (0.5, 0.7, \"\" 0.9, 2)\n"));
}

TEST_CASE("report: reads as a paper, its controls judged from the runs, its links inside the folder", "[cli]") {
  const TempDir dir;
  const fs::path runs = dir / "runs";
  // The protocol: baselines and ReLU_alpha at lambda 0.5 and 2 under mean reduction, 3 seeds of
  // accuracies 80.0, 80.1 and 80.2 % (0.1 points apart: tight intervals).
  const std::vector<double> accuracies{0.800, 0.801, 0.802};
  for (int seed = 0; seed < 3; ++seed) {
    const std::vector<double> accuracy{0.7, accuracies[std::size_t(seed)]};
    write_fake_run(runs, "relu" + std::to_string(seed), {"relu", 0.5, "mean", seed, accuracy});
    write_fake_run(runs, "linear" + std::to_string(seed), {"linear", 0.5, "mean", seed, {0.6, 0.72}});
    write_fake_run(runs, "mean0.5-" + std::to_string(seed), {"alpha", 0.5, "mean", seed, accuracy, {0.0, 0.0, 0.0}});
    write_fake_run(runs, "mean2-" + std::to_string(seed), {"alpha", 2.0, "mean", seed, accuracy, {0.0, 0.0, 0.0}});
    // The scaled penalty: at lambda 0.5 the alphas end within 0.02 of mean reduction's, as
    // accurate (matches); at lambda 2 they stay up (differs).
    FakeRun scaled{"alpha", 0.5, "sum", seed, accuracy, {0.02, 0.01, 0.0}};
    scaled.controls = "\"lambda_scale\": \"reduction\"";
    write_fake_run(runs, "scaled0.5-" + std::to_string(seed), scaled);
    scaled.lambda = 2.0;
    scaled.final_alphas = {0.5, 0.9, 1.0};
    write_fake_run(runs, "scaled2-" + std::to_string(seed), scaled);
  }
  // Initial alpha 0.9, 1 and 1.1 (sum reduction, lambda 0.5, one seed each): alpha2 and alpha3
  // end at 1 or closer to it than they started, alpha1 far below.
  write_fake_run(runs, "sum0.5", {"alpha", 0.5, "sum", 0, {0.7, 0.8}, {0.55, 0.9, 0.95}});
  const std::vector<std::pair<std::string, std::array<double, 3>>> inits{
      {"0.9", {0.5, 0.95, 1.0}}, {"1.0", {0.6, 1.0, 1.0}}, {"1.1", {0.7, 1.05, 1.0}}};
  for (const auto& [init, finals] : inits) {
    FakeRun run{"alpha", 0.5, "sum", 0, {0.7, 0.8}, finals};
    run.controls = "\"alpha_init\": " + init;
    write_fake_run(runs, "init" + init, run);
  }
  // A long ReLU_alpha setting without a long ReLU run.
  write_fake_run(runs, "long", {"alpha", 0.5, "mean", 0, {0.7, 0.75, 0.78, 0.8}, {0.0, 0.0, 0.0}});

  const Result r = linconv_cli("report " + dir.path().string());
  INFO(r.err);
  REQUIRE(r.status == 0);
  const std::string report = read_file(dir / "report.md");

  // A paper's sections, in order; the overview figure opens the results.
  const std::vector<std::string> sections{
      "# How much non-linearity does a CNN keep when it pays for it?", "\n## In short\n", "\n## Question\n", "\n## Method\n",
      "\n### What the reduction does to the penalty\n", "\n## Results\n", "(figures/alpha-vs-lambda-e2.png)",
      "\n### Every setting\n", "\n### Where the alphas go, seed by seed\n",
      "\n## The course report's claims, part by part\n", "\n## Controls\n", "(figures/controls-alpha-vs-lambda-e2.png)",
      "\n### Control: baselines trained as long as the long runs\n", "\n### Control: raw input (0..255)\n",
      "\n### Control: initial α of 0.9, 1 and 1.1\n", "\n### Control: the penalty scaled to the reduction\n",
      "\n### Control: SGD beside Adam\n", "\n## Open questions\n", "\n## Loss, accuracy and alphas over training\n",
      "\n## Feature maps\n"};
  std::size_t at = 0;
  for (const std::string& section : sections) {
    INFO(section);
    const std::size_t found = report.find(section, at);
    REQUIRE(found != std::string::npos);
    at = found + section.size();
  }
  auto section_text = [&](const std::string& title) {
    const std::size_t begin = report.find(title);
    return report.substr(begin, report.find("\n### ", begin + title.size()) - begin);
  };

  // In short: each layer's fates over the 2-epoch runs of each reduction (mean: 3 seeds at lambda
  // 0.5 and 2, every alpha to 0; sum: the one protocol run, ending at 0.55, 0.9 and 0.95).
  CHECK_THAT(report, Contains("- **mean reduction, unit input** (λ 0.5 and 2, 6 runs): α1 →0 in 6; α2 →0 in 6; α3 →0 "
                              "in 6.\n- **sum reduction, unit input** (λ 0.5, 1 run): α1 between in 1; α2 →1 in 1; "
                              "α3 →1 in 1.\n"));

  // The method states the protocol the runs present and the reduction's factor from their batch.
  CHECK_THAT(report, Contains("The runs present: ReLU_α at λ 0.5 and 2 over 2 epochs, and at λ 0.5 over 4 epochs"));
  CHECK_THAT(report, Contains("sum at λ is mean at λ / 100"));

  // The scaled penalty: at lambda 0.5 the alphas within 0.02 of mean reduction's and as accurate
  // (the same accuracies, std 0.1 points: Welch's interval 0 ± t(4 df) x 0.1 x sqrt(2/3) = ±0.23);
  // at lambda 2 alpha3 1.0 away.
  const std::string scaled = section_text("### Control: the penalty scaled to the reduction");
  CHECK_THAT(scaled, Contains("| 0.5 | 2 | 3 | 80.10 ± 0.10 | 80.10 ± 0.10 | +0.00 (95 % interval -0.23 to +0.23, "));
  CHECK_THAT(scaled, Contains("| 0.02 / 0.01 / 0.00 | 0.00 / 0.00 / 0.00 | 0.55 / 0.90 / 0.95 | 0.020 | **matches** |\n"));
  CHECK_THAT(scaled, Contains("| 0.50 / 0.90 / 1.00 | 0.00 / 0.00 / 0.00 | no run | 1.000 | **differs** |\n"));
  CHECK_THAT(scaled, Contains("The scaled penalty matches mean reduction at 1, differs at 1 and is undecided at 0 of "
                              "2 λ compared."));

  // Initial alpha: alpha1 never ends near 1; alpha2 and alpha3 always end at 1 or nearer to it.
  const std::string init = section_text("### Control: initial α of 0.9, 1 and 1.1");
  CHECK_THAT(init, Contains("| 0.5 (protocol) | 1 | 80.00 | 0.550 (1 between · 1 moving) |"));
  CHECK_THAT(init, Contains("- α1 held at 1 in 0 of 3 runs: **the claim does not hold**.\n"
                            "- α2 held at 1 in 3 of 3 runs: **the claim holds**.\n"
                            "- α3 held at 1 in 3 of 3 runs: **the claim holds**.\n"));

  // Controls without their runs say so.
  CHECK_THAT(section_text("### Control: baselines trained as long as the long runs"),
             Contains("**Not enough runs yet**: no ReLU run of 4 epochs here"));
  CHECK_THAT(section_text("### Control: raw input (0..255)"), Contains("**Not enough runs yet**: no run with raw input."));
  CHECK_THAT(section_text("### Control: SGD beside Adam"), Contains("**Not enough runs yet**: no run with SGD."));
  CHECK_THAT(report, !Contains("## Runs left out"));  // every control is in its section

  // Every link resolves inside the report's folder: its figures, and the runs' folder the
  // opening points to (a committed study keeps the runs' logs); none outside.
  const std::regex link(R"(\]\(([^)]*)\))");
  int links = 0;
  for (auto it = std::sregex_iterator(report.begin(), report.end(), link); it != std::sregex_iterator(); ++it) {
    const std::string target = (*it)[1];
    INFO(target);
    ++links;
    CHECK((target.starts_with("figures/") || target == "runs"));
    CHECK(target.find("..") == std::string::npos);
    CHECK(fs::exists(dir / target));
  }
  CHECK(links > 10);
}

TEST_CASE("report: the first attempt's section tests the course report's claim", "[cli]") {
  const TempDir dir;
  const fs::path runs = dir / "runs";
  const std::string bn = "fashion-bn-pool";
  // The report's network (config.json with and without "net"): ReLU - linear 9 points, by seed 8 and 10.
  write_fake_run(runs, "r0", {"relu", 0.5, "mean", 0, {0.80}});
  write_fake_run(runs, "r1", {"relu", 0.5, "mean", 1, {0.82}, {}, 0, 2, "fashion"});
  write_fake_run(runs, "l0", {"linear", 0.5, "mean", 0, {0.72}});
  write_fake_run(runs, "l1", {"linear", 0.5, "mean", 1, {0.72}});
  // The first attempt, mean: ReLU - linear by seed 0.5 and 0.1 points (the claim holds); sum: 3
  // and 2 points (it does not); a lone ReLU_alpha seed.
  write_fake_run(runs, "b0", {"relu", 0.5, "mean", 0, {0.880}, {}, 0, 2, bn});
  write_fake_run(runs, "b1", {"relu", 0.5, "mean", 1, {0.886}, {}, 0, 2, bn});
  write_fake_run(runs, "c0", {"linear", 0.5, "mean", 0, {0.875}, {}, 0, 2, bn});
  write_fake_run(runs, "c1", {"linear", 0.5, "mean", 1, {0.885}, {}, 0, 2, bn});
  write_fake_run(runs, "a0", {"alpha", 0.5, "mean", 0, {0.87}, {0.05, 0.0, 0.02}, 0, 2, bn});
  write_fake_run(runs, "s0", {"relu", 0.5, "sum", 0, {0.90}, {}, 0, 2, bn});
  write_fake_run(runs, "s1", {"relu", 0.5, "sum", 1, {0.90}, {}, 0, 2, bn});
  write_fake_run(runs, "t0", {"linear", 0.5, "sum", 0, {0.87}, {}, 0, 2, bn});
  write_fake_run(runs, "t1", {"linear", 0.5, "sum", 1, {0.88}, {}, 0, 2, bn});
  write_fake_run(runs, "x0", {"relu", 0.5, "mean", 0, {0.5}, {}, 0, 2, "lenet"});

  const Result r = linconv_cli("report " + dir.path().string());
  INFO(r.err);
  REQUIRE(r.status == 0);
  const std::string report = read_file(dir / "report.md");
  const std::size_t section = report.find("## The first attempt: batch norm and max pooling\n\n");
  REQUIRE(section != std::string::npos);
  // After the findings, before the figures; the results table holds the report's network only.
  CHECK(report.find("## Results") < section);
  CHECK(section < report.find("## Loss, accuracy and alphas over training"));
  CHECK(table_row(report, "| relu |  | 1 | mean | unit |")[6] == "81.00 ± 1.41");
  CHECK(table_row(report, "| linear |  | 1 | mean | unit |")[6] == "72.00 ± 0.00");
  CHECK_THAT(report, Contains("(7 settings; 1 left out)"));
  CHECK_THAT(report, Contains("- x0: --net lenet is not a network of the report"));

  const std::string text = report.substr(section, report.find("## Loss, accuracy") - section);
  const std::string mean = text.substr(0, text.find("### sum reduction"));
  CHECK_THAT(text, Contains("\"no performance differences resulted between considering the fully ReLU activation "
                            "function and completely removing it from the layers."));
  CHECK_THAT(text, Contains("### mean reduction, unit input\n\n| activation | λ | epochs | seeds | test accuracy (%) "
                            "| vs ReLU (points) | α1 | α2 | α3 |\n"));
  CHECK(table_row(mean, "| relu |  | 1 | 2 |") ==
        std::vector<std::string>{"relu", "", "1", "2", "88.30 ± 0.42", "", "1 (fixed)", "1 (fixed)", "1 (fixed)"});
  CHECK(table_row(mean, "| linear |  | 1 | 2 |")[4] == "88.00 ± 0.71");
  CHECK(table_row(mean, "| linear |  | 1 | 2 |")[5] == "-0.30");
  CHECK(table_row(mean, "| alpha | 0.5 | 1 | 1 |") ==
        std::vector<std::string>{"alpha", "0.5", "1", "1", "87.00", "-1.30", "0.050", "0.000", "0.020"});
  // Gaps by seed: mean 0.5, 0.1 -> 0.30 ± 0.28; sum 3, 2 -> 2.50 ± 0.71; the report's network 8, 10 -> 9.00 ± 1.41.
  CHECK_THAT(mean, Contains("**The claim holds** (1 epoch): the ReLU - linear gap is 0.30 ± 0.28 points (2 seeds), "
                            "within 1 point, against 9.00 ± 1.41 points (2 seeds) on the report's network (1 epoch). "
                            "Without activations the first attempt reaches 88.00 ± 0.71 %, the report's linear "
                            "network 72.00 ± 0.00 %.\n"));
  CHECK_THAT(text, Contains("### sum reduction, unit input\n"));
  CHECK_THAT(text, Contains("**The claim does not hold** (1 epoch): the ReLU - linear gap is 2.50 ± 0.71 points "
                            "(2 seeds), not within 1 point, and the study has no ReLU and linear runs of the report's "
                            "network to compare it with.\n"));
  // Its figures follow the report's own, named like its run folders.
  CHECK(fs::file_size(dir / "figures" / "bnpool-relu-e1-sum-unit-loss.png") > 1000);
  CHECK(fs::file_size(dir / "figures" / "bnpool-alpha-l0.5-e1-mean-unit-alphas.png") > 1000);
  CHECK_THAT(report, Contains("### fashion-bn-pool, alpha, lambda 0.5, 1 epoch, mean reduction, unit input\n"));
  CHECK(report.find("### relu, 1 epoch, mean reduction, unit input (the report's Fig. 1)") <
        report.find("### fashion-bn-pool, relu, 1 epoch"));
}

TEST_CASE("report: bad study directories exit 1 with one line naming the file", "[cli]") {
  const TempDir dir;
  require_error(linconv_cli("report " + dir.path().string()), 1, (dir / "runs").string() + ": not a directory");
  fs::create_directories(dir / "runs" / "empty");
  require_error(linconv_cli("report " + dir.path().string()), 1, "holds no training run");
  require_error(linconv_cli("report"), 2, "DIR");

  write_fake_run(dir / "runs", "a", {"relu", 0.5, "mean", 0, {0.8}});
  const fs::path metrics = dir / "runs" / "a" / "metrics.csv";
  const std::string good = read_file(metrics);
  write_file(metrics, good + "3,2,oops,1,0,,,,,,\n");
  require_error(linconv_cli("report " + dir.path().string()), 1, metrics.string() + ": line 4 column loss: not a number: 'oops'");
  write_file(metrics, good + "3,2\n");
  require_error(linconv_cli("report " + dir.path().string()), 1, metrics.string() + ": line 4 has 2 cells, the header 11");
  write_file(metrics, std::string("step,epoch\n1,1\n"));
  require_error(linconv_cli("report " + dir.path().string()), 1, "no column 'loss'");
  write_file(metrics, good);
  write_file(dir / "runs" / "a" / "config.json", std::string("{\"activation\": \"relu\"}"));
  require_error(linconv_cli("report " + dir.path().string()), 1, "config.json: not a linconv training configuration");
  // Files cut short (a full disk, a copy broken off) are named on one line, whichever the report reads.
  write_file(dir / "runs" / "a" / "config.json", std::string("{\"activation\": \"re"));
  require_error(linconv_cli("report " + dir.path().string()), 1,
                (dir / "runs" / "a" / "config.json").string() + ": not a JSON object (damaged or cut short?)");
  write_fake_run(dir / "runs", "a", {"relu", 0.5, "mean", 0, {0.8}});
  write_file(dir / "sweep.json", std::string("{\"epochs\": 3,"));
  require_error(linconv_cli("report " + dir.path().string()), 1,
                (dir / "sweep.json").string() + ": not a JSON object (damaged or cut short?)");
  fs::remove(dir / "sweep.json");

  write_fake_run(dir / "runs", "b", {"relu", 0.5, "mean", 0, {0.8}});
  std::string config = read_file(dir / "runs" / "b" / "config.json");
  write_file(dir / "runs" / "b" / "config.json", config.replace(config.find("relu"), 4, "alpha"));
  require_error(linconv_cli("report " + dir.path().string()), 1, "step 1 has no alphas, but the run learns them");
  fs::remove_all(dir / "runs" / "b");

  write_fake_run(dir / "runs", "a", {"relu", 0.5, "mean", 0, {0.8}});
  const std::string path = std::getenv("PATH");
  setenv("PATH", "/nonexistent", 1);
  const Result without_gnuplot = linconv_cli("report " + dir.path().string());
  setenv("PATH", path.c_str(), 1);
  require_error(without_gnuplot, 1, "gnuplot not found on PATH");
  CHECK_FALSE(fs::exists(dir / "report.md"));

  // A gnuplot that fails: its last line of output is the message.
  fs::create_directories(dir / "bin");
  write_file(dir / "bin" / "gnuplot", std::string("#!/bin/sh\necho 'line 3: unknown terminal' >&2\nexit 1\n"));
  fs::permissions(dir / "bin" / "gnuplot", fs::perms::owner_all);
  setenv("PATH", ((dir / "bin").string() + ":" + path).c_str(), 1);
  const Result failing = linconv_cli("report " + dir.path().string());
  setenv("PATH", path.c_str(), 1);
  require_error(failing, 1, "gnuplot failed on " + (dir / "figures" / "data" / "relu-e1-mean-unit-loss.gp").string() +
                                ": line 3: unknown terminal");
  CHECK_FALSE(fs::exists(dir / "report.md"));
}

TEST_CASE("report: runs still training are left out, their logs read to the last whole line", "[cli]") {
  const TempDir dir;
  const fs::path runs = dir / "runs";
  write_fake_run(runs, "done", {"relu", 0.5, "mean", 0, {0.80, 0.82}});
  // Just started: its logs are created, nothing is flushed into them yet.
  write_fake_run(runs, "started", {"relu", 0.5, "mean", 1, {0.8}, {}, 2});
  write_file(runs / "started" / "metrics.csv", std::string());
  write_file(runs / "started" / "epochs.csv", std::string());
  // In its second epoch: the log is flushed in blocks, so its last line can be cut anywhere.
  write_fake_run(runs, "writing", {"alpha", 0.5, "mean", 0, {0.75}, {0.4, 0.6, 0.7}, 2});
  const std::string metrics = read_file(runs / "writing" / "metrics.csv");
  write_file(runs / "writing" / "metrics.csv", metrics + "3,2,0.5,0.5,0,0.4");

  const Result r = linconv_cli("report " + dir.path().string());
  INFO(r.err);
  REQUIRE(r.status == 0);
  const std::string report = read_file(dir / "report.md");
  CHECK_THAT(report, Contains("from the 1 finished run of a study (1 setting; 2 left out)"));
  CHECK_THAT(report, Contains("- started: unfinished (0 of 2 epochs)"));
  CHECK_THAT(report, Contains("- writing: unfinished (1 of 2 epochs)"));
  CHECK(table_row(report, "| relu |  | 2 | mean | unit |")[6] == "82.00");

  // A whole line that is wrong is still an error, in a run that is training too.
  write_file(runs / "writing" / "metrics.csv", metrics + "3,2,oops,0.5,0,0.4,0.6,0.7,0,0,0\n");
  require_error(linconv_cli("report " + dir.path().string()), 1,
                (runs / "writing" / "metrics.csv").string() + ": line 4 column loss: not a number: 'oops'");
}

TEST_CASE("report: real runs, with feature maps of the three models", "[cli]") {
  const TempDir dir;
  write_dataset(dir, 30);
  const std::string train = "train --data " + dir.path().string() + " --limit 30 --batch 10 --threads 1 --epochs 2 --out ";
  const std::vector<std::string> settings{"--activation relu", "--activation linear", "--activation alpha --lambda 0.5"};
  for (const std::string& setting : settings)
    for (int seed : {0, 1}) {
      const fs::path out = dir / "study" / "runs" / ("run" + std::to_string(seed) + setting.substr(13, 4));
      REQUIRE(linconv_cli(train + out.string() + " --seed " + std::to_string(seed) + " " + setting).status == 0);
    }
  const Result r = linconv_cli("report " + (dir / "study").string());
  INFO(r.err);
  REQUIRE(r.status == 0);
  const std::string report = read_file(dir / "study" / "report.md");

  // The table's mean ± std, worked out here from each run's epochs.csv.
  for (const auto& [activation, prefix] : std::vector<std::pair<std::string, std::string>>{
           {"relu", "| relu |  | 2 |"}, {"line", "| linear |  | 2 |"}, {"alph", "| alpha | 0.5 | 2 |"}}) {
    std::vector<double> accuracy;
    for (int seed : {0, 1})
      accuracy.push_back(std::stod(csv_column(
          read_file(dir / "study" / "runs" / ("run" + std::to_string(seed) + activation) / "epochs.csv"), "test_acc", 2)));
    const double mean = (accuracy[0] + accuracy[1]) / 2, std = std::abs(accuracy[0] - accuracy[1]) / std::sqrt(2.0);
    char expected[64];
    std::snprintf(expected, sizeof expected, "%.2f ± %.2f", 100 * mean, 100 * std);
    CHECK(table_row(report, prefix)[6] == expected);
  }
  // Fig. 15-23: three test images (first of classes 9, 6, 1: indices 9, 6, 1) through three models,
  // each row labelled; the ReLU_alpha net's rows with the alphas of its checkpoint (seed 0's).
  const fs::path figures = dir / "study" / "figures";
  const linconv::SafetensorsFile alpha_model = linconv::read_safetensors(dir / "study" / "runs" / "run0alph" / "model.safetensors");
  int figure = 15;
  for (const std::string image : {"boot", "shirt", "trousers"})
    for (const std::string model : {"relu", "linear", "alpha"}) {
      const std::string stem = "features-" + model + "-" + image;
      INFO(stem);
      CHECK(read_png(figures / (stem + ".png")).width > 2000);
      CHECK(feature_blocks(figures / "data" / (stem + ".dat")).size() == 57);
      const std::string script = read_file(figures / "data" / (stem + ".gp"));
      CHECK_THAT(script, Contains("set output '" + stem + ".png'"));
      for (int k = 1; k <= 3; ++k) {
        const std::string act = "act" + std::to_string(k), layer = "'layer " + std::to_string(k) + ": ";
        if (model == "relu") CHECK_THAT(script, Contains(layer + "ReLU   (" + act));
        if (model == "linear") CHECK_THAT(script, Contains(layer + "identity (linear)   (" + act));
        if (model != "alpha") continue;
        char alpha[32];
        std::snprintf(alpha, sizeof alpha, "%.3g", double(alpha_model.find(act + ".alpha")->values.at(0)));
        CHECK_THAT(script, Contains(layer + "ReLU_α, α_" + std::to_string(k) + " = " + alpha + "   (" + act));
      }
      CHECK_THAT(report, Contains("*Fig. " + std::to_string(figure++) + ": "));
    }
  CHECK_THAT(read_file(figures / "data" / "features-alpha-boot.gp"),
             Contains("multiplot title 'ReLU_α net, λ = 0.5 (mean reduction, 2 epochs, seed 0): Ankle boot (test image "
                      "9), predicted "));
  // The caption names the run; runs/ is not part of a committed study.
  CHECK_THAT(report, Contains("Ankle boot (test image 9) through the ReLU net (relu, 2 epochs, mean reduction, "
                              "unit input, seed 0, run run0relu): predicted **"));
  CHECK_THAT(report, !Contains("runs/run"));
  CHECK_THAT(report, !Contains("Not drawn"));
}

TEST_CASE("report: long runs are thinned for drawing, keeping the first and the last step", "[cli]") {
  const TempDir dir;
  write_fake_run(dir / "runs", "long", {"relu", 0.5, "mean", 0, {0.8}, {}, 0, 4500});
  REQUIRE(linconv_cli("report " + dir.path().string()).status == 0);
  std::istringstream lines(read_file(dir / "figures" / "data" / "relu-e1-mean-unit-loss.dat"));
  std::vector<std::pair<double, double>> ce;
  for (std::string line; std::getline(lines, line) && !(line.empty() && !ce.empty());) {
    double x = 0, y = 0;
    if (std::sscanf(line.c_str(), "%lf %lf", &x, &y) == 2) ce.emplace_back(x, y);
  }
  // x in epochs (4,500 steps in one); y the cross-entropy of metrics.csv (3 / step) averaged over
  // the 20 steps up to each (fewer at the start).
  CHECK(ce.size() == 1501);  // every third of 4,500 steps, and the last
  CHECK(ce.front().first == Approx(1.0 / 4500));
  CHECK(ce.front().second == Approx(3.0));
  CHECK(ce[1].first == Approx(4.0 / 4500));
  CHECK(ce[1].second == Approx((3.0 + 1.5 + 1.0 + 0.75) / 4));
  double last = 0.0;
  for (int step = 4481; step <= 4500; ++step) last += 3.0 / step / 20;
  CHECK(ce.back().first == 1.0);
  CHECK(ce.back().second == Approx(last).epsilon(1e-3));  // metrics.csv holds 6 digits
}

namespace {

// FashionNet's accuracy on the test images of write_dataset(), image by image through Model:
// the reference the fold table's accuracies are checked against.
double model_accuracy(const linconv::Params<linconv::FashionNet>& params, const fs::path& data) {
  const linconv::Dataset test = linconv::load_fashion_mnist(data, linconv::Split::test);
  const linconv::Model<linconv::FashionNet> model(params);
  int correct = 0;
  std::vector<float> image(784);
  for (int i = 0; i < test.size(); ++i) {
    const std::uint32_t index = std::uint32_t(i);
    linconv::gather_batch(test.images, std::span(&index, 1), linconv::InputScale::unit, image.data());
    correct += model.classify(std::span<const float, 784>(image)) == test.labels[std::size_t(i)];
  }
  return double(correct) / test.size();
}

}  // namespace

TEST_CASE("report: the fold table snaps and folds each alpha run, with the snapped network's accuracy", "[cli]") {
  using linconv::FashionNet;
  const TempDir dir;
  write_dataset(dir, 30);
  const fs::path runs = dir / "study" / "runs";
  // Run "zero": every alpha exactly 0, so the whole network is one 784 -> 10 map and snapping
  // changes nothing. Run "mixed": act2 within 1e-3 of 1 (ReLU), act3 within it of 0 (identity),
  // act1 kept: conv3 and fc1 fold into one Dense behind act2, and snapping moves the logits.
  // Run "kept": no alpha near 0 or 1, nothing folds, and no speedup is claimed.
  struct Case {
    std::string name;
    std::array<float, 3> alphas;
    std::string folded_architecture, folded_flops;
  };
  const std::vector<Case> cases{
      {"zero", {0.0f, 0.0f, 0.0f}, "Input<1,28,28>,Flatten,Dense<10>", "15.7 k"},
      {"mixed", {0.5f, 1.0f - 4e-4f, 3e-4f},
       "Input<1,28,28>,Conv<8,5,1,2>,ReLUAlpha,Conv<16,5,1,2>,ReLU,Flatten,Dense<10>", "5.6 M"},
      {"kept", {0.5f, 0.25f, 0.75f}, std::string(FashionNet::architecture.view()), "13.2 M"}};
  std::map<std::string, double> snapped_accuracy;
  for (int seed = 0; const Case& c : cases) {
    linconv::Params<FashionNet> params = linconv::init_like_pytorch<FashionNet>(7);
    const auto alphas = linconv::alpha_tensors<FashionNet>();
    for (std::size_t k = 0; k < 3; ++k) params.values()[alphas[k].offset] = c.alphas[k];
    const double before = model_accuracy(params, dir.path());
    snapped_accuracy[c.name] =
        model_accuracy(linconv::snapped(params, linconv::snap_pattern(params, 1e-3f)), dir.path());
    write_fake_run(runs, c.name,
                   {.activation = "alpha", .lambda = 0.5, .reduction = "mean", .seed = seed++, .accuracy = {before},
                    .final_alphas = {c.alphas[0], c.alphas[1], c.alphas[2]}, .data = dir.path().string()});
    linconv::save_checkpoint(runs / c.name / "model.safetensors", params, R"({"input_scale": "unit"})");
  }
  // The baselines, as in a study (without checkpoints: the fold table is of alpha runs only).
  write_fake_run(runs, "relu", {"relu", 0.5, "mean", 0, {0.8}});
  write_fake_run(runs, "linear", {"linear", 0.5, "mean", 0, {0.7}});

  const Result r = linconv_cli("report " + (dir / "study").string());
  INFO(r.err);
  REQUIRE(r.status == 0);
  const std::string report = read_file(dir / "study" / "report.md");
  REQUIRE_THAT(report, Contains("## Folded networks"));
  for (const Case& c : cases) {
    INFO(c.name);
    const std::vector<std::string> row = table_row(report, "| " + c.name + " |");
    REQUIRE(row.size() == 10);
    char before[16], after[16];
    std::snprintf(before, sizeof before, "%.4f",
                  std::stod(csv_column(read_file(runs / c.name / "epochs.csv"), "test_acc", 1)));
    std::snprintf(after, sizeof after, "%.4f", snapped_accuracy[c.name]);
    CHECK(row[1] == before);
    CHECK(row[2] == after);
    CHECK(row[3] == "30");
    CHECK(row[4] == "`" + c.folded_architecture + "`");
    CHECK(row[5] == "13.2 M");
    CHECK(row[6] == c.folded_flops);
    // A ratio where folding removes FLOPs ("210.0x"), none where it does not.
    if (c.name == "kept")
      CHECK(row[9] == "-");
    else
      CHECK((row[9].size() > 1 && row[9].back() == 'x' && std::stod(row[9]) > 0));
  }
  // The run of alphas exactly 0 computes the same before and after.
  CHECK(table_row(report, "| zero |")[1] == table_row(report, "| zero |")[2]);

  // A second report gives the rows kept in the runs' fold.json, measured latencies included; so
  // do runs without their checkpoints (a study as the repository keeps it); a run without
  // either is listed as not folded.
  REQUIRE(linconv_cli("report " + (dir / "study").string()).status == 0);
  CHECK(read_file(dir / "study" / "report.md") == report);
  // Checkpoints written again with the same bytes (as a git checkout does) are the same: their
  // rows are kept.
  for (const Case& c : cases) {
    const fs::path model = runs / c.name / "model.safetensors";
    fs::last_write_time(model, fs::last_write_time(model) + std::chrono::hours(1));
  }
  REQUIRE(linconv_cli("report " + (dir / "study").string()).status == 0);
  CHECK(read_file(dir / "study" / "report.md") == report);
  for (const Case& c : cases) fs::remove(runs / c.name / "model.safetensors");
  fs::remove(runs / "kept" / "fold.json");
  const Result again = linconv_cli("report " + (dir / "study").string());
  INFO(again.err);
  REQUIRE(again.status == 0);
  const std::string kept = read_file(dir / "study" / "report.md");
  CHECK(table_row(kept, "| zero |") == table_row(report, "| zero |"));
  CHECK(table_row(kept, "| mixed |") == table_row(report, "| mixed |"));
  CHECK_THAT(kept, !Contains("| kept |"));
  CHECK_THAT(kept, Contains("- kept: no model.safetensors nor fold.json"));

  // A fold.json cut short is named on one line, not read as a row.
  const std::string row = read_file(runs / "zero" / "fold.json");
  write_file(runs / "zero" / "fold.json", row.substr(0, row.size() / 2));
  require_error(linconv_cli("report " + (dir / "study").string()), 1,
                (runs / "zero" / "fold.json").string() + ": not a JSON object (damaged or cut short?)");
}
