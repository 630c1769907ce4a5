#pragma once
// What the subcommands share: the three networks of the study behind --activation, the
// dataset location, and turning uint8 images into scaled float batches.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "linconv/error.hpp"
#include "linconv/fashion_net.hpp"
#include "linconv/idx.hpp"

namespace linconv::cli {

// --input-scale: unit feeds pixel / 255 (torchvision's ToTensor), raw feeds 0..255.
enum class InputScale { unit, raw };

inline std::filesystem::path default_data_dir() {
  if (const char* env = std::getenv("LINCONV_DATA"); env && *env) return env;
  return "/usr/share/datasets/fashion-mnist";
}

// Images idx[0..n) of the dataset into out[n, rows*cols] and their labels into labels[n].
inline void gather_batch(const Dataset& data, std::span<const std::uint32_t> idx, InputScale scale,
                         float* out, std::uint8_t* labels) {
  const std::size_t size = std::size_t(data.images.rows) * data.images.cols;
  for (std::size_t i = 0; i < idx.size(); ++i) {
    const std::uint8_t* pixels = data.images.pixels.data() + idx[i] * size;
    float* dst = out + i * size;
    if (scale == InputScale::unit) {
      for (std::size_t k = 0; k < size; ++k) dst[k] = float(pixels[k]) / 255.0f;
    } else {
      for (std::size_t k = 0; k < size; ++k) dst[k] = float(pixels[k]);
    }
    labels[i] = data.labels[idx[i]];
  }
}

// Calls f.template operator()<Net>() with the network type that --activation names.
template <class F>
decltype(auto) with_network(const std::string& activation, F&& f) {
  if (activation == "alpha") return f.template operator()<FashionNetWith<ReLUAlpha>>();
  if (activation == "relu") return f.template operator()<FashionNetWith<ReLU>>();
  if (activation == "linear") return f.template operator()<FashionNetWith<Identity>>();
  throw UsageError("--activation: unknown activation '" + activation + "' (alpha, relu or linear)");
}

}  // namespace linconv::cli

namespace linconv::cli {

// Validators whose failures read "--flag: must be ..., got X" (CLI11 prefixes the flag).
inline CLI::Validator at_least(double lowest) {
  return CLI::Validator(
      [lowest](std::string& text) -> std::string {
        double value = 0;
        if (!CLI::detail::lexical_cast(text, value)) return "not a number: '" + text + "'";
        if (value < lowest) return "must be at least " + CLI::detail::to_string(lowest) + ", got " + text;
        return {};
      },
      "", "at_least");
}

inline CLI::Validator one_of(std::vector<std::string> choices) {
  std::string list;
  for (const std::string& c : choices) list += (list.empty() ? "" : ", ") + c;
  return CLI::Validator(
      [choices, list](std::string& text) -> std::string {
        if (std::find(choices.begin(), choices.end(), text) != choices.end()) return {};
        return "must be one of " + list + ", got '" + text + "'";
      },
      "", "one_of");
}

}  // namespace linconv::cli
