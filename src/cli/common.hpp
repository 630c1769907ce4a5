#pragma once
// What the commands share: the checkpoint a command reads and the network it is for, flag
// validators with one-line messages, and the options every checkpoint-reading command takes.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "linconv/cli.hpp"
#include "networks.hpp"

namespace linconv::cli {

// A checkpoint and what it says of itself: its network (from the architecture metadata, else
// from --net and --activation and the tensors it holds) and the input scale it was trained with.
struct CheckpointInfo {
  std::filesystem::path file;
  SafetensorsFile contents;
  const NetworkOps* network = nullptr;
  InputScale trained_scale = InputScale::unit;

  // The input scale the model was trained with, unless `override_scale` names one.
  InputScale input_scale(const std::string& override_scale) const {
    return override_scale.empty() ? trained_scale : parse_input_scale(override_scale);
  }
};

// Reads `file` and finds its network among `networks`. `net` and `activation` (empty: not given)
// must agree with the architecture metadata; a file without it (a PyTorch state_dict) is the
// network they name, or the only one whose tensors it holds.
CheckpointInfo read_checkpoint_info(const NetworkList& networks, const std::filesystem::path& file,
                                    const std::string& net, const std::string& activation);

// "a folded network (ARCHITECTURE), for inference only (eval, predict, export, features)": why a
// command that trains, differentiates or folds refuses a checkpoint written by `fold`.
std::string folded_network_text(const NetworkOps& network);

// Validators whose failures read "--flag: must be ..., got X" (CLI11 prefixes the flag).
CLI::Validator at_least(double lowest);
CLI::Validator one_of(std::vector<std::string> choices);
// A thread count (--threads, --jobs): 1..max_thread_count().
CLI::Validator thread_count();
// A float flag: a number finite as a float (not nan or inf, and not 1e39, which overflows one),
// and at least `lowest` (`above`: greater than it) when one is given.
enum class Bound { at_least, above };
CLI::Validator finite_float();
CLI::Validator finite_float(Bound bound, double lowest);

// --lambda-scale none|reduction into `value` (train and grad; TrainOptions::lambda_scale).
CLI::Option* add_lambda_scale_option(CLI::App* cmd, std::string& value);

// --net and --activation of a command that reads a checkpoint, for one that does not say which
// network it is for (a PyTorch state_dict): read_checkpoint_info checks them.
void add_network_options(CLI::App* cmd, const NetworkList& networks, std::string& net, std::string& activation);

// Options every command that reads a checkpoint takes.
struct CheckpointOptions {
  std::filesystem::path checkpoint;
  std::string net, activation;  // only for checkpoints without architecture metadata
  std::string input_scale;      // empty: as the checkpoint was trained
  std::optional<int> limit;
  int threads = default_thread_count();

  void add_to(CLI::App* cmd, const NetworkList& networks);
  // The first --limit images of `available`; UsageError beyond them.
  int count(int available, const std::string& what) const;
};

}  // namespace linconv::cli
