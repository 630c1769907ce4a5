// `linconv train`: trains one network of the study and writes into --out:
//   config.json        every setting;
//   metrics.csv        one row per optimiser step;  epochs.csv  one row per epoch;
//   alphas.csv         one row per optimiser step with every alpha (per-channel alphas only);
//   model.safetensors  the weights (and buffers), saved at every epoch end and when interrupted;
//   state.safetensors  Adam's moments and the position in the run, for --resume.
// SIGINT/SIGTERM finish the current step, save, and exit 1; `--resume DIR` continues to the
// same final weights as an uninterrupted run.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iterator>

#include "commands.hpp"
#include "step_log.hpp"
#include "train.hpp"

namespace linconv::cli {

nlohmann::json to_json(const TrainConfig& c) {
  return {{"data", c.data.string()},
          {"net", c.net},
          {"activation", c.activation},
          {"lambda", c.lambda},
          {"epochs", c.epochs},
          {"batch", c.batch},
          {"lr", c.lr},
          {"alpha_init", c.alpha_init},
          {"reduction", c.reduction},
          {"input_scale", c.input_scale},
          {"seed", c.seed},
          {"threads", c.threads},
          {"limit", c.limit ? nlohmann::json(*c.limit) : nullptr},
          {"test_limit", c.test_limit ? nlohmann::json(*c.test_limit) : nullptr},
          {"steps", c.steps ? nlohmann::json(*c.steps) : nullptr},
          {"shuffle", !c.no_shuffle},
          {"init", c.init.empty() ? nullptr : nlohmann::json(c.init.string())}};
}

// The configuration of an earlier run, from its config.json.
TrainConfig config_of_run(const std::filesystem::path& dir) {
  const std::filesystem::path file = dir / "config.json";
  std::ifstream in(file);
  if (!in) throw Error(file.string() + ": cannot read (is " + dir.string() + " a training run?)");
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  try {
    TrainConfig c;
    c.data = j.at("data").get<std::string>();
    c.net = j.value("net", report_net);  // runs saved before --net existed
    c.activation = j.at("activation");
    c.lambda = j.at("lambda");
    c.epochs = j.at("epochs");
    c.batch = j.at("batch");
    c.lr = j.at("lr");
    c.alpha_init = j.at("alpha_init");
    c.reduction = j.at("reduction");
    c.input_scale = j.at("input_scale");
    c.seed = j.at("seed");
    c.threads = j.at("threads");
    if (!j.at("limit").is_null()) c.limit = j.at("limit").get<int>();
    // Runs saved before --test-limit existed evaluated on the whole test set.
    if (j.contains("test_limit") && !j.at("test_limit").is_null()) c.test_limit = j.at("test_limit").get<int>();
    if (!j.at("steps").is_null()) c.steps = j.at("steps").get<long>();
    c.no_shuffle = !j.at("shuffle").get<bool>();
    if (!j.at("init").is_null()) c.init = j.at("init").get<std::string>();
    c.out = dir;
    return c;
  } catch (const nlohmann::json::exception& e) {
    throw Error(file.string() + ": not a linconv training configuration (" + e.what() + ")");
  }
}

TrainingData load_training_data(const std::filesystem::path& dir) {
  return {load_fashion_mnist(dir, Split::train), load_fashion_mnist(dir, Split::test)};
}

namespace {

std::atomic<int> caught_signal{0};
extern "C" void on_interrupt(int signal) { caught_signal = signal; }

}  // namespace

InterruptHandler::InterruptHandler() {
  caught_signal = 0;
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
}

InterruptHandler::~InterruptHandler() {
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

int interrupt_signal() { return caught_signal; }

const char* signal_name(int signal) { return signal == SIGINT ? "SIGINT" : "SIGTERM"; }

namespace {

// A separate stream for shuffling, so that the initialisation does not depend on it.
std::uint64_t shuffle_seed(std::uint64_t seed) { return seed ^ 0x9e3779b97f4a7c15ull; }

// Progress on stderr: one line rewritten in place on a terminal, a plain line every tenth of an
// epoch otherwise (logs, CI).
class Progress {
 public:
  Progress() : terminal_(isatty(fileno(stderr)) != 0) {}
  // alphas() gives the text of the alphas; it is called only when the line is shown.
  template <class AlphaText>
  void update(int epoch, int epochs, long step, long steps_in_epoch, double loss, const AlphaText& alphas,
              double images_per_s) {
    const auto now = std::chrono::steady_clock::now();
    const bool last = step == steps_in_epoch;
    if (terminal_ ? now - shown_ < std::chrono::milliseconds(200) && !last
                  : step % std::max(1L, steps_in_epoch / 10) != 0 && !last)
      return;
    shown_ = now;
    std::fprintf(stderr, "%sepoch %d/%d  step %ld/%ld  loss %.4f%s  %.0f images/s%s",
                 terminal_ ? "\r\033[K" : "", epoch, epochs, step, steps_in_epoch, loss,
                 alphas().c_str(), images_per_s, terminal_ ? "" : "\n");
    if (terminal_ && last) std::fputc('\n', stderr);
    std::fflush(stderr);
  }

 private:
  bool terminal_;
  std::chrono::steady_clock::time_point shown_{};
};

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

std::string exact(double v) { return std::to_string(std::bit_cast<std::uint64_t>(v)); }
double from_exact(const std::string& s) { return std::bit_cast<double>(std::stoull(s)); }

template <class Net>
void save_state(const std::filesystem::path& file, const AdamState& adam, const Position& p) {
  std::vector<TensorView> views = tensor_views<Net>(adam.first_moment(), "adam.m.");
  std::ranges::move(tensor_views<Net>(adam.second_moment(), "adam.v."), std::back_inserter(views));
  write_safetensors(file, views,
                    {{"architecture", std::string(Net::architecture.view())},
                     {"adam_step", std::to_string(adam.step())},
                     {"step", std::to_string(p.step)},
                     {"epoch", std::to_string(p.epoch)},
                     {"batches_done", std::to_string(p.batches_done)},
                     {"loss_sum", exact(p.loss_sum)},
                     {"images", std::to_string(p.images)},
                     {"seconds", exact(p.seconds)},
                     {"finished", p.finished ? "1" : "0"}});
}

template <class Net>
Position load_state(const std::filesystem::path& file, AdamState& adam) {
  const SafetensorsFile state = read_safetensors(file);
  try {
    const auto& meta = state.metadata;
    if (meta.at("architecture") != Net::architecture.view())
      throw Error(file.string() + ": state of another network (" + meta.at("architecture") + ")");
    std::vector<float> m(Net::param_count), v(Net::param_count);
    for (const NetTensor& t : Net::tensors) {
      for (auto [prefix, target] : {std::pair{"adam.m.", &m}, std::pair{"adam.v.", &v}}) {
        const Tensor* found = state.find(prefix + t.name());
        if (!found || found->values.size() != t.tensor.count())
          throw Error(file.string() + ": tensor " + prefix + t.name() + " is missing or has the wrong size");
        std::copy(found->values.begin(), found->values.end(), target->begin() + t.offset);
      }
    }
    adam.restore(std::stol(meta.at("adam_step")), m, v);
    return {std::stol(meta.at("step")),         std::stoi(meta.at("epoch")),
            std::stoi(meta.at("batches_done")), from_exact(meta.at("loss_sum")),
            std::stol(meta.at("images")),       from_exact(meta.at("seconds")),
            meta.at("finished") == "1"};
  } catch (const std::out_of_range&) {
    throw Error(file.string() + ": not a linconv training state (metadata missing)");
  } catch (const std::invalid_argument&) {
    throw Error(file.string() + ": not a linconv training state (bad metadata)");
  }
}

// The first `limit` images of a set of `available` (all of them without a limit).
int image_count(const std::optional<int>& limit, int available, const char* flag, const char* what) {
  if (limit && *limit > available)
    throw UsageError(std::string(flag) + " " + std::to_string(*limit) + " exceeds the " + std::to_string(available) +
                     " " + what);
  return limit.value_or(available);
}

}  // namespace

void check_image_counts(const TrainConfig& config, const TrainingData& data) {
  image_count(config.limit, data.train.size(), "--limit", "training images");
  image_count(config.test_limit, data.test.size(), "--test-limit", "test images");
}

namespace {

template <class Net>
void train(const TrainConfig& config, bool resume, const TrainingData& data, bool verbose) {
  const Dataset& train_set = data.train;
  const Dataset& test_set = data.test;
  const int train_count = image_count(config.limit, train_set.size(), "--limit", "training images");
  const int test_count = image_count(config.test_limit, test_set.size(), "--test-limit", "test images");
  const InputScale scale = parse_input_scale(config.input_scale);
  const std::filesystem::path model_file = config.out / "model.safetensors";
  const std::filesystem::path state_file = config.out / "state.safetensors";

  const nlohmann::json config_json = to_json(config);
  if (!resume && std::filesystem::exists(config.out / "config.json") && !config.force)
    throw UsageError("--out " + config.out.string() + " holds a training run already: continue it with --resume " +
                     config.out.string() + ", or replace it with --force");
  // Before --out is written: an --init checkpoint of another network leaves nothing behind.
  Params<Net> params = resume              ? load_checkpoint<Net>(model_file)
                       : config.init.empty() ? init_like_pytorch<Net>(config.seed, {.alpha = config.alpha_init})
                                             : load_checkpoint<Net>(config.init);
  if (!resume) {
    std::error_code ec;
    std::filesystem::create_directories(config.out, ec);
    if (ec) throw Error("--out " + config.out.string() + ": cannot create directory: " + ec.message());
    open_output(config.out / "config.json") << config_json.dump(2) << "\n";
  }
  ThreadPool pool(config.threads);
  Trainer<Net> trainer(params,
                       {.adam = {.lr = config.lr},
                        .lambda = config.lambda,
                        .reduction = config.reduction == "sum" ? Reduction::sum : Reduction::mean},
                       pool, config.batch);
  Position at;
  if (resume) {
    at = load_state<Net>(state_file, trainer.adam());
    if (at.finished) {
      if (verbose) std::printf("%s finished already; nothing to resume\n", config.out.c_str());
      return;
    }
    truncate_csv(config.out / "epochs.csv", at.epoch - 1);
  }
  StepLog<Net> steps(config.out, resume, at.step);
  std::ofstream epochs_csv = open_output(config.out / "epochs.csv", resume ? std::ios::app : std::ios::out);
  if (!resume) epochs_csv << "epoch,train_loss,test_loss,test_acc,seconds,images_per_s\n";

  auto save = [&] {
    steps.flush();
    epochs_csv.flush();
    save_state<Net>(state_file, trainer.adam(), at);
    save_checkpoint(model_file, params, config_json.dump());
  };

  std::vector<std::uint32_t> order(train_count);
  std::iota(order.begin(), order.end(), 0u);
  Rng shuffler(shuffle_seed(config.seed));
  // A resumed run replays the shuffles of the epochs before, so the order is the same.
  if (!config.no_shuffle)
    for (int e = 1; e < at.epoch; ++e) shuffler.shuffle(std::span(order));
  std::vector<float> images(std::size_t(config.batch) * Net::input_shape.size());
  std::vector<std::uint8_t> labels(config.batch);
  const long steps_per_epoch = (train_count + config.batch - 1) / config.batch;
  Progress progress;
  double test_acc = 0.0;

  for (; at.epoch <= config.epochs && !at.finished; ++at.epoch) {
    if (!config.no_shuffle) shuffler.shuffle(std::span(order));
    const auto start = std::chrono::steady_clock::now() - std::chrono::duration<double>(at.seconds);
    for (; at.batches_done < steps_per_epoch; ++at.batches_done) {
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
      steps.write(at.step, at.epoch, stats, params.values(), trainer.gradients());
      at.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const auto alpha_text = [&] { return StepLog<Net>::alpha_text(params.values(), 3); };
      if (verbose)
        progress.update(at.epoch, config.epochs, at.batches_done + 1, steps_per_epoch, stats.loss, alpha_text,
                        at.images / at.seconds);
      if (config.steps && at.step >= *config.steps) break;
      if (interrupt_signal() != 0) {
        ++at.batches_done;
        save();
        throw Interrupted(std::string("interrupted by ") + signal_name(interrupt_signal()) +
                    " at step " + std::to_string(at.step) + "; saved; continue with: linconv train --resume " +
                    config.out.string());
      }
    }
    const Evaluation test = evaluate_dataset(params, test_set, test_count, scale, trainer.workspace(), pool);
    test_acc = test.accuracy;
    const long epoch_steps = (at.images + config.batch - 1) / config.batch;
    char row[200];
    std::snprintf(row, sizeof row, "%d,%.9g,%.9g,%.9g,%.3f,%.1f\n", at.epoch, at.loss_sum / epoch_steps,
                  test.loss, test.accuracy, at.seconds, at.images / at.seconds);
    epochs_csv << row;
    if (verbose) {
      std::printf("epoch %d: train loss %.4f  test loss %.4f  test accuracy %.4f  %.1f s  %.0f images/s\n",
                  at.epoch, at.loss_sum / epoch_steps, test.loss, test.accuracy, at.seconds, at.images / at.seconds);
      std::fflush(stdout);
    }
    at.finished = at.epoch == config.epochs || (config.steps && at.step >= *config.steps);
    at.batches_done = 0;
    at.loss_sum = at.seconds = 0.0;
    at.images = 0;
    if (at.finished) ++at.epoch;
    save();
    if (at.finished) break;
  }
  if (!verbose) return;
  std::printf("test accuracy %.4f%s\nwrote %s\n", test_acc, StepLog<Net>::alpha_text(params.values(), 4).c_str(),
              model_file.c_str());
}

}  // namespace

void train_run(const TrainConfig& config, bool resume, const TrainingData& data, bool verbose) {
  with_network(config.net, config.activation, [&]<class Net>() { train<Net>(config, resume, data, verbose); });
}

void add_train_command(CLI::App& app) {
  auto config = std::make_shared<TrainConfig>();
  auto resume = std::make_shared<std::filesystem::path>();
  CLI::App* cmd = app.add_subcommand("train", "Train one network of the study on FashionMNIST");
  cmd->add_option("--data", config->data, "FashionMNIST directory (IDX files, gzip or plain; also $LINCONV_DATA)")
      ->capture_default_str();
  cmd->add_option("--net", config->net,
                  "fashion: the report's network; fashion-bn-pool: its first attempt, batch norm and a 2x2 max "
                  "pool at every layer")
      ->check(one_of(net_names()))
      ->capture_default_str();
  cmd->add_option("--activation", config->activation,
                  "alpha: learnable ReLU_alpha, one alpha a layer; relu: alpha fixed at 1; linear: alpha fixed at 0; "
                  "channel: learnable ReLU_alpha, one alpha a channel")
      ->check(one_of(activation_names()))
      ->capture_default_str();
  cmd->add_option("--lambda", config->lambda, "Weight of the penalty lambda * sum |alpha|")
      ->check(at_least(0))
      ->capture_default_str();
  cmd->add_option("--epochs", config->epochs, "Passes over the training images")->check(at_least(1))->capture_default_str();
  cmd->add_option("--batch", config->batch, "Images per optimiser step")->check(at_least(1))->capture_default_str();
  cmd->add_option("--lr", config->lr, "Adam learning rate")->check(at_least(0))->capture_default_str();
  cmd->add_option("--alpha-init", config->alpha_init, "Initial value of every alpha")->capture_default_str();
  cmd->add_option("--reduction", config->reduction, "Cross-entropy over the batch: mean or sum")
      ->check(one_of({"mean", "sum"}))
      ->capture_default_str();
  cmd->add_option("--input-scale", config->input_scale, "unit: pixels / 255; raw: pixels 0..255")
      ->check(one_of({"unit", "raw"}))
      ->capture_default_str();
  cmd->add_option("--seed", config->seed, "Seed of initialisation and shuffling")->capture_default_str();
  cmd->add_option("--threads", config->threads, "Worker threads (results are bit-identical for a fixed count)")
      ->check(at_least(1))
      ->capture_default_str();
  cmd->add_option("--limit", config->limit, "Train on the first N training images only")->check(at_least(1));
  cmd->add_option("--test-limit", config->test_limit, "Evaluate each epoch on the first N test images only")
      ->check(at_least(1));
  cmd->add_option("--steps", config->steps, "Stop after N optimiser steps")->check(at_least(1));
  cmd->add_flag("--no-shuffle", config->no_shuffle, "Keep the training images in file order");
  cmd->add_option("--init", config->init, "Start from this checkpoint (.safetensors) instead of a random init")
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", config->out, "Output directory")->capture_default_str();
  cmd->add_flag("--force", config->force, "Replace the run that --out holds already");
  CLI::Option* resume_option =
      cmd->add_option("--resume", *resume, "Continue the interrupted run in DIR with its own settings");
  cmd->callback([cmd, config, resume, resume_option] {
    const InterruptHandler interrupts;
    if (resume_option->count() == 0) {
      train_run(*config, false, load_training_data(config->data), true);
      return;
    }
    for (const CLI::Option* option : cmd->get_options())
      if (option != resume_option && option->count() > 0)
        throw UsageError("--resume continues a run with its own config.json; " + option->get_name() +
                         " cannot be combined with it");
    const TrainConfig earlier = config_of_run(*resume);
    train_run(earlier, true, load_training_data(earlier.data), true);
  });
}

}  // namespace linconv::cli
