#pragma once
// What the subcommands share: the three networks of the study (chosen by --activation or by a
// checkpoint's architecture), the dataset location, scaled float batches from uint8 images,
// test-set evaluation, and flag validators with one-line messages.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <span>
#include <thread>
#include <string>
#include <vector>

#include "linconv/checkpoint.hpp"
#include "linconv/error.hpp"
#include "linconv/fashion_net.hpp"
#include "linconv/idx.hpp"
#include "linconv/model.hpp"
#include "linconv/trainer.hpp"

namespace linconv::cli {

inline std::filesystem::path default_data_dir() {
  if (const char* env = std::getenv("LINCONV_DATA"); env && *env) return env;
  return "/usr/share/datasets/fashion-mnist";
}

// Images idx[0..n) of the set into out[n, rows*cols] (and their labels, when given).
inline void gather_batch(const IdxImages& images, std::span<const std::uint32_t> idx, InputScale scale,
                         float* out) {
  const std::size_t size = std::size_t(images.rows) * images.cols;
  for (std::size_t i = 0; i < idx.size(); ++i) {
    scale_pixels(std::span(images.pixels).subspan(idx[i] * size, size), scale, out + i * size);
  }
}
inline void gather_batch(const Dataset& data, std::span<const std::uint32_t> idx, InputScale scale,
                         float* out, std::uint8_t* labels) {
  gather_batch(data.images, idx, scale, out);
  for (std::size_t i = 0; i < idx.size(); ++i) labels[i] = data.labels[idx[i]];
}

// Mean cross-entropy and accuracy of the first `count` images of a dataset, in batches of the
// workspace's capacity.
struct Evaluation {
  double loss = 0.0;
  double accuracy = 0.0;
};
template <class Net>
Evaluation evaluate_dataset(const Params<Net>& params, const Dataset& data, int count, InputScale scale,
                            Workspace<Net>& workspace, ThreadPool& pool) {
  const int batch = workspace.capacity();
  std::vector<float> images(std::size_t(batch) * Net::input_shape.size());
  std::vector<std::uint8_t> labels(batch);
  std::vector<std::uint32_t> order(batch);
  CrossEntropy total;
  for (int first = 0; first < count; first += batch) {
    const int n = std::min(batch, count - first);
    std::iota(order.begin(), order.begin() + n, std::uint32_t(first));
    gather_batch(data, std::span(order).first(n), scale, images.data(), labels.data());
    const CrossEntropy part =
        evaluate(params, Batch<Net::input_shape>{images.data(), n}, labels.data(), workspace, pool);
    total.sum += part.sum;
    total.correct += part.correct;
  }
  return {total.sum / count, double(total.correct) / count};
}

// Calls f.template operator()<Net>() with the network type that --activation names.
template <class F>
decltype(auto) with_network(const std::string& activation, F&& f) {
  if (activation == "alpha") return f.template operator()<FashionNetWith<ReLUAlpha>>();
  if (activation == "relu") return f.template operator()<FashionNetWith<ReLU>>();
  if (activation == "linear") return f.template operator()<FashionNetWith<Identity>>();
  throw UsageError("--activation: unknown activation '" + activation + "' (alpha, relu or linear)");
}

// A checkpoint and what it says of itself: the activation of its network (from the architecture
// metadata, else from its tensors, else from --activation) and the input scale it was trained with.
struct CheckpointInfo {
  std::filesystem::path file;
  SafetensorsFile contents;
  std::string activation;
  InputScale trained_scale = InputScale::unit;

  // The input scale the model was trained with, unless `override_scale` names one.
  InputScale input_scale(const std::string& override_scale) const {
    return override_scale.empty() ? trained_scale : parse_input_scale(override_scale);
  }
};

inline CheckpointInfo read_checkpoint_info(const std::filesystem::path& file, const std::string& activation) {
  CheckpointInfo info{file, read_safetensors(file), activation};
  info.trained_scale = checkpoint_input_scale(info.contents, file);
  const auto& meta = info.contents.metadata;
  if (auto arch = meta.find("architecture"); arch != meta.end()) {
    for (const char* candidate : {"alpha", "relu", "linear"}) {
      const bool same = with_network(candidate, [&]<class Net>() { return Net::architecture.view() == arch->second; });
      if (same) {
        if (!activation.empty() && activation != candidate)
          throw UsageError("--activation " + activation + " contradicts " + file.string() +
                           ", a checkpoint of the " + candidate + " network");
        info.activation = candidate;
        return info;
      }
    }
    throw Error(file.string() + ": made for another network (" + arch->second +
                "); this linconv knows " + std::string(FashionNetWith<ReLUAlpha>::architecture.view()) +
                " and its ReLU and Identity variants");
  }
  if (info.activation.empty()) {
    if (!info.contents.find("act1.alpha"))
      throw UsageError(file.string() + " has no architecture metadata and no alphas: say --activation relu or linear");
    info.activation = "alpha";
  }
  return info;
}

// Calls f.template operator()<Net>(Params<Net>) with the checkpoint's network and weights.
template <class F>
decltype(auto) with_checkpoint(const CheckpointInfo& info, F&& f) {
  return with_network(info.activation, [&]<class Net>() {
    return f.template operator()<Net>(params_from_checkpoint<Net>(info.contents, info.file));
  });
}

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

inline int default_threads() { return int(std::max(1u, std::thread::hardware_concurrency())); }

}  // namespace linconv::cli
