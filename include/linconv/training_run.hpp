#pragma once
// A training run: epochs of shuffled batches of a dataset through Trainer<Net>, written into a
// folder as it goes, stoppable by a signal and resumable to the very same result.
//
//   linconv::RunConfig config;                          // the defaults of `linconv train`
//   config.out = "runs/lenet";
//   const linconv::InterruptHandler interrupts;         // Ctrl-C: save, then throw Interrupted
//   linconv::train_run<LeNet>(config, linconv::load_training_data(config.data), {.verbose = true});
//
// Into config.out it writes (CONVENTIONS.md has the columns):
//   config.json        every setting of the run (read_run_config reads it back);
//   metrics.csv        one row per optimiser step (step_log.hpp), alphas.csv for per-channel alphas;
//   epochs.csv         one row per epoch: train loss, test loss and accuracy, time, speed;
//   model.safetensors  the weights (and buffers), rewritten atomically at every epoch end;
//   state.safetensors  everything --resume needs, written after the model: the weights and
//                      buffers again, Adam's moments (SGD has none) and the position in the run
//                      (Position).
//   train.lock         locked while a process trains the run (folder_lock.hpp): a second one
//                      into the same folder is refused, naming the first.
// state.safetensors is the one commit point of a save: each file is replaced whole (a rename),
// and a run killed between the two renames resumes from the older state, which holds its own
// weights; a run killed before its first save starts again from the beginning. A file that
// cannot be written (a full disk) ends the run with an Error naming it and the save kept: a save
// writes both checkpoints beside their files before either replaces its own.
// An interrupted run (InterruptHandler) finishes its step (or gives up the epoch's evaluation),
// saves both files and throws Interrupted; train_run with `resume` then replays the shuffles of
// the epochs before, cuts the CSV files to the saved position and continues, bit for bit as an
// uninterrupted run. A run whose loss becomes NaN or infinite stops with an Error naming the
// step; the last epoch's checkpoint stays. Runs on separate threads may train at once, each into its own folder.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <map>
#include <numeric>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "linconv/atomic_file.hpp"
#include "linconv/checkpoint.hpp"
#include "linconv/data.hpp"
#include "linconv/error.hpp"
#include "linconv/folder_lock.hpp"
#include "linconv/rng.hpp"
#include "linconv/step_log.hpp"
#include "linconv/trainer.hpp"

namespace linconv {

// Every setting of a run; config.json holds them under these names.
struct RunConfig {
  std::filesystem::path data = default_data_dir();
  std::string net;         // the network's name, for config.json and the tools that read it
  std::string activation;  // its activation variant (empty: the network has none)
  float lambda = 0.5f;
  int epochs = 3;
  int batch = 100;
  float lr = 1e-3f;
  std::string optimizer = "adam";  // or "sgd" (p -= lr * g)
  float alpha_init = 0.5f;
  std::string reduction = "mean";  // or "sum"
  std::string lambda_scale = "none";  // or "reduction": the penalty times the images CE sums over
  std::string input_scale = "unit";  // or "raw"
  std::uint64_t seed = 0;
  int threads = default_thread_count();
  std::optional<int> limit;       // first N training images
  std::optional<int> test_limit;  // first N test images for the per-epoch evaluation
  std::optional<long> steps;      // stop after N optimiser steps
  bool no_shuffle = false;
  std::filesystem::path init;     // start from this checkpoint instead of a random init
  std::filesystem::path out = "runs/latest";
  bool force = false;             // replace a run that `out` holds already
};

// The settings as JSON: config.json's text with `indent` 2, the checkpoints' "config" metadata
// compact (-1). read_run_config reads DIR/config.json back (its `out` is DIR; a config.json
// from before `net` existed is of `report_net`, one from before `optimizer` and `lambda_scale`
// existed is of Adam and an unscaled penalty). run_config_of_checkpoint reads the same from a
// checkpoint's "config" metadata, `file` naming it in errors (its `out` is left as the default).
std::string run_config_json(const RunConfig& config, int indent = -1);
RunConfig read_run_config(const std::filesystem::path& dir, const std::string& report_net = "fashion");
RunConfig run_config_of_checkpoint(const std::string& metadata, const std::filesystem::path& file,
                                   const std::string& report_net = "fashion");

// The trainer's options for the run's settings; refuses (UsageError) an unknown --reduction,
// --optimizer or --lambda-scale.
TrainOptions train_options(const RunConfig& config);

// The training and test sets, loaded once for any number of runs.
struct TrainingData {
  Dataset train, test;
};
TrainingData load_training_data(const std::filesystem::path& dir);
// Refuses (UsageError, naming the flag, its value and the bound) a --limit or --test-limit
// beyond the images there are, and what check_run_size refuses.
void check_image_counts(const RunConfig& config, const TrainingData& data);
// Refuses (UsageError) the settings that size a run's threads and memory beyond reason, before
// anything is allocated: --threads outside 1..max_thread_count(), --batch outside 1..the
// `train_images` the run uses.
void check_run_size(const RunConfig& config, int train_images);
// Refuses (UsageError, naming --batch and --threads, the bytes and the bound) a run whose
// buffers need more than the memory available: /proc/meminfo's MemAvailable (the physical
// memory where it cannot be read), or the address-space limit (ulimit -v) if it is smaller.
void check_run_memory(const RunConfig& config, std::size_t bytes);
// The bytes train_run allocates for Net's training buffers: the trainer's workspace, its summed
// gradients and Adam's two moments (none under SGD), and a batch of images and labels.
template <class Net>
std::size_t training_bytes(const RunConfig& config) {
  const std::size_t per_parameter = config.optimizer == "sgd" ? 1 : 3;
  return Workspace<Net>::bytes(config.batch, config.threads, Workspace<Net>::training) +
         per_parameter * Net::param_count * sizeof(float) +
         std::size_t(config.batch) * (Net::input_shape.size() * sizeof(float) + 1);
}

// How train_run runs: a fresh run or the continuation of the one in config.out; with `verbose`
// a progress line on stderr and one line per epoch and the result on stdout, else silent.
// `resume_command` is how the user continues an interrupted run, for the message of Interrupted.
struct RunOptions {
  bool resume = false;
  bool verbose = false;
  std::string resume_command;
};

struct Interrupted : Error {
  using Error::Error;
};

// While one lives, SIGINT and SIGTERM only record the signal: every run under way saves and
// throws Interrupted after its current step (or stops its evaluation). A second signal ends the
// process at once, exit status 1, with "`program`: error: SIGINT again: stopped at once; ..." on
// stderr: the run's files are those of its last save (each is replaced whole, by a rename). The
// default handlers come back at its end.
class InterruptHandler {
 public:
  explicit InterruptHandler(std::string_view program = "linconv");
  ~InterruptHandler();
  InterruptHandler(const InterruptHandler&) = delete;
  InterruptHandler& operator=(const InterruptHandler&) = delete;
};

// The signal caught since the InterruptHandler was made, 0 when none; "SIGINT" or "SIGTERM".
int interrupt_signal();
const char* signal_name(int signal);

namespace run_detail {

// Whether `text` is 1 to max_size decimal digits: how the saved counts are written, no sign, no
// spaces (std::stol alone would take "-5" or "12abc").
inline bool decimal_digits(std::string_view text, std::size_t max_size) {
  return !text.empty() && text.size() <= max_size &&
         std::ranges::all_of(text, [](char c) { return c >= '0' && c <= '9'; });
}

// Where a run stands: saved in state.safetensors with Adam's moments.
struct Position {
  long step = 0;             // optimiser steps done
  int epoch = 1;             // the epoch under way (epochs + 1 when finished)
  int batches_done = 0;      // batches of that epoch done
  double loss_sum = 0.0;     // sum of the step losses of that epoch so far
  long images = 0;           // training images of that epoch so far
  double seconds = 0.0;      // training time of that epoch so far
  bool finished = false;
};

// The position as state.safetensors metadata (doubles bit for bit), and back; `file` names errors.
std::map<std::string, std::string> position_metadata(const Position& at);
Position position_from_metadata(const std::map<std::string, std::string>& meta, const std::filesystem::path& file);

// The first `limit` images of a set of `available` (all of them without a limit).
int image_count(const std::optional<int>& limit, int available, const char* flag, const char* what);

// Refuses (Error) a saved file of the run in `dir` whose "config" metadata (`saved`, compact
// JSON) differs from the run's settings `config_json`, naming the settings that differ: a
// config.json edited since, or a file copied from another run. Files without it pass.
void check_saved_config(const std::filesystem::path& file, const std::map<std::string, std::string>& meta,
                        const std::string& config_json);

// Removes what a process killed while writing the run in `dir` left: temporary files of its
// checkpoints and config.json (call it holding the folder's lock).
void remove_temporaries(const std::filesystem::path& dir);
// Removes the saved files of the run in `dir` (state.safetensors first: without it, what
// remains is a run to start again), for one that replaces it.
void remove_saves(const std::filesystem::path& dir);

// A separate stream for shuffling, so that the initialisation does not depend on it.
constexpr std::uint64_t shuffle_seed(std::uint64_t seed) { return seed ^ 0x9e3779b97f4a7c15ull; }

// Progress on stderr: one line rewritten in place on a terminal, a plain line every tenth of an
// epoch otherwise (logs, CI).
class Progress {
 public:
  Progress();
  // Whether step `step` of `steps_in_epoch` gets a line.
  bool due(long step, long steps_in_epoch);
  void show(int epoch, int epochs, long step, long steps_in_epoch, double loss, const std::string& alphas,
            double images_per_s);

 private:
  bool terminal_;
  std::chrono::steady_clock::time_point shown_{};
};

// The row of epochs.csv and the line printed for a finished epoch.
std::string epoch_row(int epoch, double train_loss, const Evaluation& test, double seconds, long images);
void print_epoch(int epoch, double train_loss, const Evaluation& test, double seconds, long images);

// The prefix of the weights and buffers in state.safetensors.
inline const std::string state_model_prefix = "model.";

// The state of the run whose settings are `config_json` (compact, as the checkpoints hold them),
// staged (atomic_file.hpp). An empty `adam` (an SGD run) saves no moments.
template <class Net>
StagedFile stage_state(const std::filesystem::path& file, const Params<Net>& params, const AdamState& adam,
                       const Position& at, const std::string& config_json) {
  std::vector<TensorView> views = state_views<Net>(params);
  for (TensorView& view : views) view.name = state_model_prefix + view.name;
  if (adam.size() > 0) {
    std::ranges::move(tensor_views<Net>(adam.first_moment(), "adam.m."), std::back_inserter(views));
    std::ranges::move(tensor_views<Net>(adam.second_moment(), "adam.v."), std::back_inserter(views));
  }
  std::map<std::string, std::string> meta = position_metadata(at);
  meta["architecture"] = std::string(Net::architecture.view());
  meta["adam_step"] = std::to_string(adam.step());
  meta["config"] = config_json;
  return stage_safetensors(file, views, meta);
}

// The weights and buffers to resume from: those in `state` (read from `file`), or, in a state
// saved before it held them, those of `model_file`. Refuses the state (and that model) of
// another network, or of a run with other settings than `config_json`.
template <class Net>
Params<Net> load_state_params(const SafetensorsFile& state, const std::filesystem::path& file,
                              const std::filesystem::path& model_file, const std::string& config_json) {
  const auto architecture = state.metadata.find("architecture");
  if (architecture != state.metadata.end() && architecture->second != Net::architecture.view())
    throw Error(file.string() + ": state of another network (" + architecture->second + ")");
  check_saved_config(file, state.metadata, config_json);
  if (!state.find(state_model_prefix + Net::tensors.front().name())) return load_checkpoint<Net>(model_file);
  SafetensorsFile weights;
  for (const Tensor& t : state.tensors)
    if (t.name.starts_with(state_model_prefix)) {
      weights.tensors.push_back(t);
      weights.tensors.back().name.erase(0, state_model_prefix.size());
    }
  return params_from_checkpoint<Net>(weights, file);
}

// Adam's moments (unless `adam` is empty: an SGD run) and the position in `state` (read from
// `file`). Refuses the state of another network, or of a run with other settings than `config_json`.
template <class Net>
Position load_state(const SafetensorsFile& state, const std::filesystem::path& file, AdamState& adam,
                    const std::string& config_json) {
  const auto& meta = state.metadata;
  const auto architecture = meta.find("architecture"), adam_step = meta.find("adam_step");
  if (architecture == meta.end() || adam_step == meta.end())
    throw Error(file.string() + ": not a linconv training state (metadata missing)");
  if (architecture->second != Net::architecture.view())
    throw Error(file.string() + ": state of another network (" + architecture->second + ")");
  check_saved_config(file, meta, config_json);
  std::vector<float> m(adam.size()), v(adam.size());
  if (adam.size() > 0)
    for (const NetTensor& t : Net::tensors)
      for (auto [prefix, target] : {std::pair{"adam.m.", &m}, std::pair{"adam.v.", &v}}) {
        const Tensor* found = state.find(prefix + t.name());
        if (!found || found->values.size() != t.tensor.count())
          throw Error(file.string() + ": tensor " + prefix + t.name() + " is missing or has the wrong size");
        std::copy(found->values.begin(), found->values.end(), target->begin() + t.offset);
      }
  // A second moment is a mean of squares: a negative one makes the next step's sqrt NaN.
  if (std::ranges::any_of(v, [](float x) { return x < 0.0f; }))
    throw Error(file.string() + ": Adam's second moment (adam.v.) holds a negative value");
  const Position at = position_from_metadata(meta, file);
  // A count of steps, which the next step increments: digits only, below LONG_MAX.
  const std::string& step_text = adam_step->second;
  if (!decimal_digits(step_text, 18))
    throw Error(file.string() + ": not a linconv training state (bad metadata: adam_step)");
  const long step = std::stol(step_text);
  adam.restore(step, m, v);
  return at;
}

}  // namespace run_detail

// Trains Net as `config` says into config.out (see the top of this file). Throws UsageError
// when config.out holds a run already (unless config.force) and Interrupted once an
// InterruptHandler has caught a signal, after saving the run.
template <class Net>
void train_run(const RunConfig& config, const TrainingData& data, const RunOptions& options = {}) {
  using namespace run_detail;
  const bool resume = options.resume, verbose = options.verbose;
  const Dataset& train_set = data.train;
  check_dataset_fits<Net>(train_set, "the training set");
  check_dataset_fits<Net>(data.test, "the test set");
  const int train_count = image_count(config.limit, train_set.size(), "--limit", "training images");
  const int test_count = image_count(config.test_limit, data.test.size(), "--test-limit", "test images");
  check_run_size(config, train_count);
  check_run_memory(config, training_bytes<Net>(config));
  const InputScale scale = parse_input_scale(config.input_scale);
  const TrainOptions train = train_options(config);
  const std::filesystem::path model_file = config.out / "model.safetensors";
  const std::filesystem::path state_file = config.out / "state.safetensors";

  const std::string config_json = run_config_json(config);  // compact, for the checkpoints
  // One process at a time writes the folder: locked before anything in it is read or changed,
  // or, for a folder yet to be made, as soon as it is.
  const std::string folder = (resume ? "--resume " : "--out ") + config.out.string();
  std::optional<FolderLock> lock;
  if (resume || std::filesystem::is_directory(config.out)) lock.emplace(config.out, "train.lock", folder);
  if (!resume && std::filesystem::exists(config.out / "config.json") && !config.force)
    throw UsageError("--out " + config.out.string() + " holds a training run already: continue it with --resume " +
                     config.out.string() + ", or replace it with --force");
  if (lock) remove_temporaries(config.out);
  // A run resumes from its state; one killed before its first save starts again.
  const bool continuing = resume && std::filesystem::exists(state_file);
  const std::optional<SafetensorsFile> state =
      continuing ? std::optional(read_safetensors(state_file)) : std::nullopt;
  if (continuing && std::filesystem::exists(model_file))
    check_saved_config(model_file, read_safetensors(model_file).metadata, config_json);
  // Before --out is written: an --init checkpoint of another network leaves nothing behind.
  Params<Net> params = continuing            ? load_state_params<Net>(*state, state_file, model_file, config_json)
                       : config.init.empty() ? init_like_pytorch<Net>(config.seed, {.alpha = config.alpha_init})
                                             : load_checkpoint<Net>(config.init);
  if (!resume) {
    std::error_code ec;
    std::filesystem::create_directories(config.out, ec);
    if (ec) throw Error("--out " + config.out.string() + ": cannot create directory: " + ec.message());
    if (!lock) lock.emplace(config.out, "train.lock", folder);
    if (config.force) remove_saves(config.out);
    const std::string text = run_config_json(config, 2) + "\n";
    write_file_atomically(config.out / "config.json", {std::as_bytes(std::span(text))});
  }
  ThreadPool pool(config.threads);
  Trainer<Net> trainer(params, train, pool, config.batch);
  const long steps_per_epoch = (train_count + config.batch - 1) / config.batch;
  Position at;
  if (continuing) {
    at = load_state<Net>(*state, state_file, trainer.adam(), config_json);
    if (at.finished) {
      if (verbose) std::printf("%s finished already; nothing to resume\n", config.out.c_str());
      return;
    }
    // Saved at an epoch's end by earlier versions as that epoch's start (its step counts the
    // whole epoch), from which they repeated the epoch.
    if (at.batches_done == 0 && at.step > 0 && at.step == at.epoch * steps_per_epoch) ++at.epoch;
    truncate_csv(config.out / "epochs.csv", at.epoch - 1);
  } else if (resume && verbose) {
    std::printf("%s has no save yet: training it from the start\n", config.out.c_str());
  }
  StepLog<Net> steps(config.out, continuing, at.step);
  AppendFile epochs_csv(config.out / "epochs.csv", !continuing);
  if (!continuing) epochs_csv.write("epoch,train_loss,test_loss,test_acc,seconds,images_per_s\n");

  // A file that cannot be written (a full disk) ends the run, whose last save stays as it was.
  std::optional<long> saved_step = continuing ? std::optional(at.step) : std::nullopt;
  const auto keeping_last_save = [&](auto&& write) {
    try {
      write();
    } catch (const Error& e) {
      throw Error(std::string(e.what()) + "; " +
                  (saved_step ? "the save of step " + std::to_string(*saved_step) + " is kept" : "nothing was saved") +
                  (options.resume_command.empty() ? "" : "; continue with: " + options.resume_command));
    }
  };
  // The rows first, which the state's position counts; then the model and the state, both
  // written before either replaces its file, the state last.
  auto save = [&] {
    keeping_last_save([&] {
      steps.flush();
      epochs_csv.flush();
      StagedFile new_model = stage_checkpoint(model_file, params, config_json);
      StagedFile new_state = stage_state<Net>(state_file, params, trainer.adam(), at, config_json);
      new_model.commit();
      new_state.commit();
    });
    saved_step = at.step;
  };

  std::vector<std::uint32_t> order(train_count);
  std::iota(order.begin(), order.end(), 0u);
  Rng shuffler(shuffle_seed(config.seed));
  // A resumed run replays the shuffles of the epochs before, so the order is the same.
  if (!config.no_shuffle)
    for (int e = 1; e < at.epoch; ++e) shuffler.shuffle(std::span(order));
  std::vector<float> images(std::size_t(config.batch) * Net::input_shape.size());
  std::vector<std::uint8_t> labels(config.batch);
  Progress progress;
  double test_acc = 0.0;
  // On a signal: save where the run stands and stop.
  auto stop = [&] {
    save();
    throw Interrupted(std::string("interrupted by ") + signal_name(interrupt_signal()) + " at step " +
                      std::to_string(at.step) + "; saved" +
                      (options.resume_command.empty() ? "" : "; continue with: " + options.resume_command));
  };
  const auto steps_done = [&] { return config.steps && at.step >= *config.steps; };

  while (at.epoch <= config.epochs && !at.finished) {
    if (!config.no_shuffle) shuffler.shuffle(std::span(order));
    const auto start = std::chrono::steady_clock::now() - std::chrono::duration<double>(at.seconds);
    for (; at.batches_done < steps_per_epoch && !steps_done(); ++at.batches_done) {
      const int first = at.batches_done * config.batch;
      const int n = std::min(config.batch, train_count - first);
      gather_batch(train_set, std::span(order).subspan(first, n), scale, images.data(), labels.data());
      const StepStats stats = trainer.step(Batch<Net::input_shape>{images.data(), n}, labels.data());
      if (!std::isfinite(stats.loss))
        throw Error("training diverged: the loss is " + std::to_string(stats.loss) + " at step " +
                    std::to_string(at.step + 1) + "; " +
                    (at.epoch > 1 ? model_file.string() + " keeps the weights of epoch " + std::to_string(at.epoch - 1)
                                  : "no checkpoint was saved"));
      ++at.step;
      at.images += n;
      at.loss_sum += stats.loss;
      keeping_last_save([&] { steps.write(at.step, at.epoch, stats, params.values(), trainer.gradients()); });
      at.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (verbose && progress.due(at.batches_done + 1, steps_per_epoch))
        progress.show(at.epoch, config.epochs, at.batches_done + 1, steps_per_epoch, stats.loss,
                      StepLog<Net>::alpha_text(params.values(), 3), double(at.images) / at.seconds);
      if (interrupt_signal() != 0) {
        ++at.batches_done;
        stop();
      }
    }
    // Seconds on the whole test set: a signal ends it, and the run resumes at this evaluation.
    const std::optional<Evaluation> evaluation = evaluate_dataset_until(
        params, data.test, test_count, scale, trainer.workspace(), pool, [] { return interrupt_signal() != 0; });
    if (!evaluation) stop();
    const Evaluation& test = *evaluation;
    test_acc = test.accuracy;
    const long epoch_steps = (at.images + config.batch - 1) / config.batch;
    epochs_csv.write(epoch_row(at.epoch, at.loss_sum / double(epoch_steps), test, at.seconds, at.images));
    if (verbose) print_epoch(at.epoch, at.loss_sum / double(epoch_steps), test, at.seconds, at.images);
    at.finished = at.epoch == config.epochs || steps_done();
    // Saved as the start of the next epoch, where --resume continues.
    ++at.epoch;
    at.batches_done = 0;
    at.loss_sum = at.seconds = 0.0;
    at.images = 0;
    save();
  }
  if (!verbose) return;
  std::printf("test accuracy %.4f%s\nwrote %s\n", test_acc, StepLog<Net>::alpha_text(params.values(), 4).c_str(),
              model_file.c_str());
}

}  // namespace linconv
