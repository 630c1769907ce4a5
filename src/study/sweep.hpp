// `linconv sweep --out DIR`: the report's whole protocol, one `linconv train` folder per run.
//   DIR/sweep.json    the settings; a later sweep into DIR continues with them
//   DIR/runs/<name>/  each run's train outputs (config.json, metrics.csv, epochs.csv, ...)
//   DIR/summary.csv   one row per finished run, in protocol order, rewritten as runs finish
// Runs train in this process (--jobs at once, --threads split between them), or shared out
// between the ranks of an MPI job. An interrupted sweep saves its runs under way; the next
// sweep into DIR resumes them and skips the finished ones.
#pragma once
#include <CLI/CLI.hpp>
#include <array>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "linconv/folder_lock.hpp"
#include "linconv/training_run.hpp"
#include "net_names.hpp"
#include "networks.hpp"
#include "study_commands.hpp"

namespace linconv::cli {

// The learning rate of the SGD control runs (mean reduction). On the first 5,000 training
// images (50 steps) lr 0.01 reached 55% test accuracy with ReLU, 0.05 53% with an oscillating
// loss, 0.1 37%, 0.2 diverged to chance (Adam at 1e-3: 75%); over 200 steps 0.01 reached 69%,
// 0.02 74% and 0.05 73% with a noisier loss; 0.02 trains linear (76%) and ReLU_alpha (75%) as well.
inline constexpr float default_sgd_lr = 0.02f;

struct SweepSettings {
  // The protocol: what decides the runs and their results (sweep.json keeps it).
  std::vector<std::string> net{report_net};
  std::filesystem::path data = default_data_dir();
  std::vector<float> lambdas{0.1f, 0.3f, 0.5f, 0.7f, 0.9f, 2.0f, 5.0f};
  std::vector<float> long_lambdas{0.5f, 0.7f};
  int epochs = 3;
  int long_epochs = 12;
  int seeds = 3;
  std::uint64_t seed_base = 0;
  std::vector<std::string> reduction{"mean", "sum"};
  std::vector<std::string> input_scale{"unit"};
  std::optional<int> limit, test_limit;
  int batch = 100;
  float lr = 1e-3f;
  float alpha_init = 0.5f;
  // The controls: runs of the report's network beside the protocol, each group off by default.
  // Keys missing from an older sweep.json read as these defaults (no control runs), and a later
  // sweep into DIR may add controls (continued_protocol).
  std::vector<std::string> extra_seeds;  // "REDUCTION:LAMBDA=N": N seeds of that --epochs ReLU_alpha setting
  std::optional<int> long_seeds;         // seeds of the long runs and long baselines (default --seeds)
  bool long_baselines = false;           // ReLU and linear over --long-epochs too
  std::vector<float> raw_lambdas;        // raw input: the baselines and ReLU_alpha at these lambdas
  std::vector<float> alpha_inits;        // sum reduction: ReLU_alpha from these initial alphas ...
  std::vector<float> alpha_init_lambdas{0.5f};  // ... at these lambdas
  std::vector<float> scaled_lambdas;     // sum reduction with --lambda-scale reduction
  std::vector<float> sgd_lambdas;        // SGD, mean reduction: the baselines and ReLU_alpha at these lambdas
  float sgd_lr = default_sgd_lr;
  // How this process runs it.
  std::filesystem::path out;
  bool quick = false;
  bool controls = false;
  bool force = false;
  bool list = false;
  int jobs = 1;
  std::optional<int> threads;
};

// The lock of a sweep directory (FolderLock); each run's folder has its own train.lock.
inline constexpr const char* lock_file = "sweep.lock";

// A run of the protocol: its folder's name and its settings.
struct PlannedRun {
  std::string name;
  RunConfig config;
};
// A finished run's result as its files state it (the text of their cells, so the summary holds
// exactly what the run wrote): finished when epochs.csv ends with the last epoch and the
// model is saved.
struct Outcome {
  std::string test_acc;
  std::array<std::string, 3> alphas;  // empty for fixed activations
};
// Finished runs are skipped; a run saved part-way resumes; any other starts afresh.
enum class Start { skip, resume, fresh };

// sweep_plan.cpp: the protocol (sweep.json's keys are the options without dashes) and its runs.
nlohmann::json protocol_json(const SweepSettings& s);
void apply_protocol(const nlohmann::json& j, SweepSettings& s);
std::string flag_of(const std::string& key);
void apply_quick(SweepSettings& s, std::map<std::string, std::string>& given);
// --controls: the study's controls, for the control options the command line does not set.
void apply_controls(SweepSettings& s, std::map<std::string, std::string>& given);
// Whether a protocol key is a control's, which a continued sweep may change to add runs.
bool is_control_key(const std::string& key);
std::vector<PlannedRun> plan_runs(const SweepSettings& s, int threads_per_run);
std::vector<const PlannedRun*> share_of(const std::vector<PlannedRun>& plan, int rank, int ranks);
std::string lambda_text(float lambda);  // "0.5", as run names and summary.csv spell it

// Whether an --extra-seeds entry is REDUCTION:LAMBDA=N: mean or sum, a finite lambda >= 0, and
// 1 to 1000 seeds.
bool valid_extra_seeds(const std::string& entry);

// sweep_folder.cpp: what the run folders and the sweep directory hold.
std::optional<Outcome> finished_outcome(const RunConfig& run);
// The epochs a run has finished (rows of its epochs.csv) and each one's training seconds.
struct EpochsDone {
  int epochs = 0;
  std::vector<double> seconds;
};
EpochsDone epochs_done(const RunConfig& run);
Start start_of(const RunConfig& run);
void write_summary(const std::filesystem::path& out, const std::vector<PlannedRun>& plan);
nlohmann::json continued_protocol(const std::filesystem::path& out, nlohmann::json saved, const nlohmann::json& wanted,
                                  const std::map<std::string, std::string>& given);
void continue_execution(SweepSettings& s, bool jobs_given, bool threads_given);
// Rank 0: makes s.out a sweep directory, or continues the one it is, and returns the protocol.
// Locks it into `lock` (DIR/sweep.lock) before changing anything: a second sweep into DIR is
// refused, naming the process of the first.
nlohmann::json prepare_directory(const SweepSettings& s, const std::map<std::string, std::string>& given,
                                 const nlohmann::json& execution, std::optional<FolderLock>& lock);

}  // namespace linconv::cli
