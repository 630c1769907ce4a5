#include "common.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace linconv::cli {
namespace {

// Whether the tensors of `contents` are exactly the network's parameters and buffers (names,
// shapes, dtypes): how a checkpoint without architecture metadata is recognised.
bool holds_tensors_of(const NetworkOps& network, const SafetensorsFile& contents) {
  auto fits = [&](const NetTensor& t) {
    const Tensor* found = contents.find(t.name());
    return found && found->shape == linconv::detail::dims_of(t.tensor) && found->dtype == linconv::detail::dtype_of(t.tensor);
  };
  return contents.tensors.size() == network.tensors.size() + network.buffer_tensors.size() &&
         std::ranges::all_of(network.tensors, fits) && std::ranges::all_of(network.buffer_tensors, fits);
}

std::string name_of(const NetworkOps& network) {
  return "--net " + std::string(network.net) +
         (network.activation.empty() ? "" : " --activation " + std::string(network.activation));
}

}  // namespace

CheckpointInfo read_checkpoint_info(const NetworkList& networks, const std::filesystem::path& file,
                                    const std::string& net, const std::string& activation) {
  CheckpointInfo info{file, read_safetensors(file)};
  info.trained_scale = checkpoint_input_scale(info.contents, file);
  const auto& meta = info.contents.metadata;
  if (auto arch = meta.find("architecture"); arch != meta.end()) {
    info.network = networks.with_architecture(arch->second);
    if (!info.network)
      throw Error(file.string() + ": made for a network this " + networks.program() + " does not know (" +
                  arch->second + "); it knows " + networks.known_text());
    auto agree = [&](const std::string& flag, const std::string& given, std::string_view found) {
      if (!given.empty() && given != found)
        throw UsageError(flag + " " + given + " contradicts " + file.string() + ", a checkpoint of " +
                         name_of(*info.network));
    };
    agree("--net", net, info.network->net);
    agree("--activation", activation, info.network->activation);
    return info;
  }
  std::vector<const NetworkOps*> fitting;
  for (const NetworkOps& e : networks.entries())
    if ((net.empty() || net == e.net) && (activation.empty() || activation == e.activation) &&
        holds_tensors_of(e, info.contents))
      fitting.push_back(&e);
  if (fitting.size() == 1) {
    info.network = fitting.front();
    return info;
  }
  if (fitting.size() > 1) {
    std::string list;
    for (const NetworkOps* f : fitting)
      list += (list.empty() ? "" : ", ") + std::string(f->net) + (f->activation.empty() ? "" : " ") +
              std::string(f->activation);
    throw UsageError(file.string() + " has no architecture metadata and fits several networks (" + list +
                     "): say which with --net" + (networks.has_variants() ? " and --activation" : ""));
  }
  if (net.empty() || (activation.empty() && !networks.activation_names(net).empty()))
    throw UsageError(file.string() + " has no architecture metadata and fits none of the networks this " +
                     networks.program() + " knows (" + networks.known_text() +
                     "): say which it is meant for with --net" + (networks.has_variants() ? " and --activation" : ""));
  info.network = &networks.find(net, activation);  // given: loading it names the tensor that does not fit
  return info;
}

std::string folded_network_text(const NetworkOps& network) {
  return "a folded network (" + std::string(network.architecture) +
         "), for inference only (eval, predict, export, features)";
}

CLI::Validator at_least(double lowest) {
  return CLI::Validator(
      [lowest](std::string& text) -> std::string {
        double value = 0;
        if (!CLI::detail::lexical_cast(text, value)) return "not a number: '" + text + "'";
        if (value < lowest) return "must be at least " + CLI::detail::to_string(lowest) + ", got " + text;
        return {};
      },
      "", "at_least");
}

CLI::Validator thread_count() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        int value = 0;
        if (!CLI::detail::lexical_cast(text, value)) return "not a whole number: '" + text + "'";
        if (value < 1) return "must be at least 1, got " + text;
        if (value > max_thread_count())
          return "must be at most " + std::to_string(max_thread_count()) + " (4 per core of this machine, and 64 on any), got " + text;
        return {};
      },
      "", "thread_count");
}

namespace {

CLI::Validator float_validator(std::optional<Bound> bound, double lowest) {
  return CLI::Validator(
      [bound, lowest](std::string& text) -> std::string {
        errno = 0;
        char* end = nullptr;
        const float value = std::strtof(text.c_str(), &end);
        if (text.empty() || *end != '\0') return "not a number: '" + text + "'";
        if (!std::isfinite(value))
          return "must be a finite number" + std::string(errno == ERANGE ? " (at most 3.4e38, a float's largest)" : "") +
                 ", got " + text;
        if (bound == Bound::at_least && value < lowest)
          return "must be at least " + CLI::detail::to_string(lowest) + ", got " + text;
        if (bound == Bound::above && !(value > lowest))
          return "must be greater than " + CLI::detail::to_string(lowest) + ", got " + text;
        return {};
      },
      "", "finite_float");
}

}  // namespace

CLI::Validator finite_float() { return float_validator(std::nullopt, 0); }
CLI::Validator finite_float(Bound bound, double lowest) { return float_validator(bound, lowest); }

CLI::Validator one_of(std::vector<std::string> choices) {
  std::string list;
  for (const std::string& c : choices) list += (list.empty() ? "" : ", ") + c;
  return CLI::Validator(
      [choices, list](std::string& text) -> std::string {
        if (std::find(choices.begin(), choices.end(), text) != choices.end()) return {};
        return "must be one of " + list + ", got '" + text + "'";
      },
      "", "one_of");
}

CLI::Option* add_lambda_scale_option(CLI::App* cmd, std::string& value) {
  return cmd
      ->add_option("--lambda-scale", value,
                   "none: the penalty is lambda * sum |alpha|; reduction: that times the images the "
                   "cross-entropy sums over (1 under --reduction mean, the batch's under sum), so sum "
                   "is batch x mean's loss (networks with alphas only)")
      ->check(one_of({"none", "reduction"}))
      ->capture_default_str();
}

void add_network_options(CLI::App* cmd, const NetworkList& networks, std::string& net, std::string& activation) {
  cmd->add_option("--net", net,
                  "Network of a checkpoint without architecture metadata (a PyTorch state_dict): " +
                      choice_text(networks.net_names()))
      ->check(one_of(networks.net_names()));
  if (!networks.has_variants()) return;
  cmd->add_option("--activation", activation,
                  "Activation of such a checkpoint: " + choice_text(networks.activation_names()))
      ->check(one_of(networks.activation_names()));
}

void CheckpointOptions::add_to(CLI::App* cmd, const NetworkList& networks) {
  cmd->add_option("--checkpoint", checkpoint, "Model to use (.safetensors)")->required()->check(CLI::ExistingFile);
  add_network_options(cmd, networks, net, activation);
  cmd->add_option("--input-scale", input_scale, "unit or raw (default: as the checkpoint was trained)")
      ->check(one_of({"unit", "raw"}));
  cmd->add_option("--limit", limit, "Use the first N images only")->check(at_least(1));
  cmd->add_option("--threads", threads, "Worker threads (at most " + std::to_string(max_thread_count()) + ")")
      ->check(thread_count())
      ->capture_default_str();
}

int CheckpointOptions::count(int available, const std::string& what) const {
  if (limit && *limit > available)
    throw UsageError("--limit " + std::to_string(*limit) + " exceeds the " + std::to_string(available) + " " + what);
  return limit.value_or(available);
}

}  // namespace linconv::cli
