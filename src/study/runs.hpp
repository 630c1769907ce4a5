#pragma once
// The training runs of a study directory, read back from the folders `linconv train --out`
// wrote: each run's setting and seed from its config.json (not from the folder name), its
// per-step loss and alphas from metrics.csv and its per-epoch test accuracy from epochs.csv.
// Damaged files throw linconv::Error naming the file, the line and the column.
#include <array>
#include <compare>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "net_names.hpp"

namespace linconv::cli {

// What a study varies, apart from the seed. Fixed activations (relu, linear) have no lambda.
struct Setting {
  std::string net = report_net;  // fashion or fashion-bn-pool
  std::string activation;        // alpha, channel (one alpha a channel), relu or linear
  std::optional<double> lambda;
  int epochs = 0;
  std::string reduction;    // mean or sum
  std::string input_scale;  // unit or raw
  std::optional<double> alpha_init;   // the initial alpha (learnt alphas only)
  std::string optimizer = "adam";     // or sgd
  std::string lambda_scale = "none";  // or reduction (train --lambda-scale)

  bool learns_alphas() const { return activation == "alpha" || activation == "channel"; }
  // "alpha, lambda 0.5, 3 epochs, mean reduction, unit input", after "fashion-bn-pool, " for
  // another network than the report's, and then what differs from Adam, the unscaled penalty
  // and an initial alpha of 0.5 (", alpha init 0.9, scaled penalty, SGD")
  std::string describe() const;
  friend auto operator<=>(const Setting&, const Setting&) = default;
};

struct StepRow {
  long step = 0;
  int epoch = 0;
  double loss = 0.0;
  double ce = 0.0;       // the cross-entropy term of the loss, reduced as the run's --reduction says
  double penalty = 0.0;  // the penalty the loss adds: k * lambda * sum |alpha| (0 for fixed activations)
  std::array<double, 3> alphas{};  // NaN for fixed activations; per-channel alphas: each layer's mean
};

struct EpochRow {
  int epoch = 0;
  double test_loss = 0.0;
  double test_acc = 0.0;
  long last_step = 0;  // the optimiser step that ended the epoch
};

struct Run {
  std::filesystem::path dir;
  Setting setting;
  std::uint64_t seed = 0;
  std::optional<long> limit;  // --limit of the run: training images used
  std::optional<int> test_limit;  // --test-limit: the first test images each epoch was evaluated on
  int batch = 0;              // images per step
  double lr = 0.0;            // the optimiser's learning rate (0 in runs that did not record it)
  std::filesystem::path data;
  std::vector<StepRow> steps;
  std::vector<EpochRow> epochs;
  bool finished = false;  // every epoch (or every --steps step) done

  double test_acc() const { return epochs.back().test_acc; }
  const std::array<double, 3>& final_alphas() const { return steps.back().alphas; }
};

// The runs in the sub-folders of `runs_dir`, ordered by setting then seed. A folder without
// config.json is not a run and is ignored; a run that has not finished one epoch yet is
// returned with finished = false and no rows. Throws when `runs_dir` holds no run at all.
std::vector<Run> read_runs(const std::filesystem::path& runs_dir);

// The JSON object in `file` (a run's config.json or fold.json, a sweep's sweep.json); throws
// linconv::Error naming the file when it cannot be read, is not JSON or holds no object.
nlohmann::json read_json_object(const std::filesystem::path& file);
// Writes `j` to `file` indented by 2, whole or not at all (write_file_atomically).
void write_json_object(const std::filesystem::path& file, const nlohmann::json& j);

}  // namespace linconv::cli
