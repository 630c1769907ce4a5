#pragma once
// One training run of the study, as `linconv train` and `linconv sweep` run it: its settings,
// the data it reads, and interruption by SIGINT/SIGTERM.
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common.hpp"

namespace linconv::cli {

struct TrainConfig {
  std::filesystem::path data = default_data_dir();
  std::string net = report_net;
  std::string activation = "alpha";
  float lambda = 0.5f;
  int epochs = 3;
  int batch = 100;
  float lr = 1e-3f;
  float alpha_init = 0.5f;
  std::string reduction = "mean";
  std::string input_scale = "unit";
  std::uint64_t seed = 0;
  int threads = default_threads();
  std::optional<int> limit;       // first N training images
  std::optional<int> test_limit;  // first N test images for the per-epoch evaluation
  std::optional<long> steps;
  bool no_shuffle = false;
  std::filesystem::path init;
  std::filesystem::path out = "runs/latest";
  bool force = false;
};

// The config.json of a run, and back (config_of_run reads DIR/config.json).
nlohmann::json to_json(const TrainConfig& config);
TrainConfig config_of_run(const std::filesystem::path& dir);

// The training and test sets, loaded once for any number of runs.
struct TrainingData {
  Dataset train, test;
};
TrainingData load_training_data(const std::filesystem::path& dir);
// Refuses (UsageError) a --limit or --test-limit beyond the images there are.
void check_image_counts(const TrainConfig& config, const TrainingData& data);

// Trains the network of config.net and config.activation into config.out (a fresh run, or with `resume` the
// interrupted run there, to the same result as an uninterrupted one). `verbose` prints progress,
// one line per epoch and the result; otherwise the run prints nothing. Several runs may train
// at once on separate threads. Throws Interrupted once an InterruptHandler has caught a signal,
// after saving the run.
void train_run(const TrainConfig& config, bool resume, const TrainingData& data, bool verbose);

struct Interrupted : Error {
  using Error::Error;
};

// While one lives, SIGINT and SIGTERM only record the signal: every run under way saves and
// throws Interrupted after its current step. The default handlers come back at its end.
class InterruptHandler {
 public:
  InterruptHandler();
  ~InterruptHandler();
  InterruptHandler(const InterruptHandler&) = delete;
  InterruptHandler& operator=(const InterruptHandler&) = delete;
};

// The signal caught since the InterruptHandler was made, 0 when none.
int interrupt_signal();
const char* signal_name(int signal);

}  // namespace linconv::cli
