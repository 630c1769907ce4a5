#pragma once
// What the subcommands share: checkpoints and the network each is for (networks.hpp), the
// dataset location, scaled float batches from uint8 images, test-set evaluation, and flag
// validators with one-line messages.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "linconv/checkpoint.hpp"
#include "linconv/error.hpp"
#include "linconv/fashion_net.hpp"
#include "linconv/idx.hpp"
#include "linconv/model.hpp"
#include "linconv/trainer.hpp"
#include "networks.hpp"

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

// A checkpoint and what it says of itself: its network (from the architecture metadata, else
// from --net and --activation and the tensors it holds) and the input scale it was trained with.
struct CheckpointInfo {
  std::filesystem::path file;
  SafetensorsFile contents;
  std::string net, activation;
  InputScale trained_scale = InputScale::unit;

  // The input scale the model was trained with, unless `override_scale` names one.
  InputScale input_scale(const std::string& override_scale) const {
    return override_scale.empty() ? trained_scale : parse_input_scale(override_scale);
  }
};

// Whether the tensors of `contents` are exactly Net's parameters and buffers (names, shapes,
// dtypes): how a checkpoint without architecture metadata is recognised.
template <class Net>
bool holds_tensors_of(const SafetensorsFile& contents) {
  auto fits = [&](const NetTensor& t) {
    const Tensor* found = contents.find(t.name());
    return found && found->shape == detail::dims_of(t.tensor) &&
           found->dtype == detail::dtype_of(t.tensor);
  };
  return contents.tensors.size() == Net::tensors.size() + Net::buffer_tensors.size() &&
         std::ranges::all_of(Net::tensors, fits) && std::ranges::all_of(Net::buffer_tensors, fits);
}

// Reads `file` and finds its network among Networks. `net` and `activation` (empty: not given)
// must agree with the architecture metadata; a file without it (a PyTorch state_dict) is the
// network they name, or the only one whose tensors it holds.
inline CheckpointInfo read_checkpoint_info(const std::filesystem::path& file, const std::string& net,
                                           const std::string& activation) {
  CheckpointInfo info{file, read_safetensors(file), net, activation};
  info.trained_scale = checkpoint_input_scale(info.contents, file);
  const auto& meta = info.contents.metadata;
  if (auto arch = meta.find("architecture"); arch != meta.end()) {
    bool known = false;
    for_each_network([&]<class Entry>() {
      if (known || Entry::type::architecture.view() != arch->second) return;
      known = true;
      auto agree = [&](const std::string& flag, const std::string& given, std::string_view found) {
        if (!given.empty() && given != found)
          throw UsageError(flag + " " + given + " contradicts " + file.string() + ", a checkpoint of --net " +
                           std::string(Entry::net) + " --activation " + std::string(Entry::activation));
      };
      agree("--net", net, Entry::net);
      agree("--activation", activation, Entry::activation);
      info.net = Entry::net;
      info.activation = Entry::activation;
    });
    if (!known)
      throw Error(file.string() + ": made for a network this linconv does not know (" + arch->second + "); it knows " +
                  known_networks_text());
    return info;
  }
  std::vector<std::string> fitting;  // "net activation" of each network the tensors fit
  for_each_network([&]<class Entry>() {
    if ((net.empty() || net == Entry::net) && (activation.empty() || activation == Entry::activation) &&
        holds_tensors_of<typename Entry::type>(info.contents)) {
      fitting.push_back(std::string(Entry::net) + " " + std::string(Entry::activation));
      info.net = Entry::net;
      info.activation = Entry::activation;
    }
  });
  if (fitting.size() == 1) return info;
  if (fitting.size() > 1) {
    std::string list;
    for (const std::string& f : fitting) list += (list.empty() ? "" : ", ") + f;
    throw UsageError(file.string() + " has no architecture metadata and fits several networks (" + list +
                     "): say which with --net and --activation");
  }
  if (net.empty() || activation.empty())
    throw UsageError(file.string() + " has no architecture metadata and fits none of the networks this linconv "
                     "knows (" + known_networks_text() + "): say which it is meant for with --net and --activation");
  info.net = net;  // given: loading it names the tensor that does not fit
  info.activation = activation;
  return info;
}

// Calls f.template operator()<Net>(Params<Net>) with the checkpoint's network and weights.
template <class F>
decltype(auto) with_checkpoint(const CheckpointInfo& info, F&& f) {
  return with_network(info.net, info.activation, [&]<class Net>() {
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

// --net and --activation of a command that reads a checkpoint, for one that does not say which
// network it is for (a PyTorch state_dict): read_checkpoint_info checks them.
inline void add_network_options(CLI::App* cmd, std::string& net, std::string& activation) {
  cmd->add_option("--net", net,
                  "Network of a checkpoint without architecture metadata (a PyTorch state_dict): " +
                      choice_text(net_names()))
      ->check(one_of(net_names()));
  cmd->add_option("--activation", activation,
                  "Activation of such a checkpoint: " + choice_text(activation_names()))
      ->check(one_of(activation_names()));
}

inline int default_threads() { return int(std::max(1u, std::thread::hardware_concurrency())); }

}  // namespace linconv::cli
