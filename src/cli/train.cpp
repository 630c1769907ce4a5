// `linconv train`: trains one network of the study and writes config.json, metrics.csv (one row
// per optimiser step), epochs.csv (one row per epoch) and model.safetensors into --out.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <thread>
#include <vector>

#include "commands.hpp"
#include "common.hpp"
#include "linconv/checkpoint.hpp"
#include "linconv/trainer.hpp"

namespace linconv::cli {
namespace {

struct TrainConfig {
  std::filesystem::path data = default_data_dir();
  std::string activation = "alpha";
  float lambda = 0.5f;
  int epochs = 3;
  int batch = 100;
  float lr = 1e-3f;
  float alpha_init = 0.5f;
  std::string reduction = "mean";
  std::string input_scale = "unit";
  std::uint64_t seed = 0;
  int threads = int(std::max(1u, std::thread::hardware_concurrency()));
  std::optional<int> limit;
  std::optional<long> steps;
  bool no_shuffle = false;
  std::filesystem::path init;
  std::filesystem::path out = "runs/latest";
};

nlohmann::json to_json(const TrainConfig& c) {
  return {{"data", c.data.string()},
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
          {"limit", c.limit ? nlohmann::json(*c.limit) : nlohmann::json(nullptr)},
          {"steps", c.steps ? nlohmann::json(*c.steps) : nlohmann::json(nullptr)},
          {"shuffle", !c.no_shuffle},
          {"init", c.init.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.init.string())}};
}

std::ofstream open_output(const std::filesystem::path& file) {
  std::ofstream out(file);
  if (!out) throw Error(file.string() + ": cannot write");
  return out;
}

// A separate stream for shuffling, so that the initialisation does not depend on it.
std::uint64_t shuffle_seed(std::uint64_t seed) { return seed ^ 0x9e3779b97f4a7c15ull; }

// Progress on stderr: one line rewritten in place on a terminal, a plain line now and then
// otherwise (logs, CI).
class Progress {
 public:
  Progress() : terminal_(isatty(fileno(stderr)) != 0) {}
  void update(int epoch, int epochs, long step, long steps_in_epoch, const StepStats& stats,
              const std::string& alphas, double images_per_s) {
    const auto now = std::chrono::steady_clock::now();
    const bool last = step == steps_in_epoch;
    if (terminal_ ? now - shown_ < std::chrono::milliseconds(200) && !last
                  : step % std::max(1L, steps_in_epoch / 10) != 0 && !last)
      return;
    shown_ = now;
    std::fprintf(stderr, "%sepoch %d/%d  step %ld/%ld  loss %.4f%s  %.0f images/s%s",
                 terminal_ ? "\r\033[K" : "", epoch, epochs, step, steps_in_epoch, stats.loss,
                 alphas.c_str(), images_per_s, terminal_ ? "" : "\n");
    if (terminal_ && last) std::fputc('\n', stderr);
    std::fflush(stderr);
  }

 private:
  bool terminal_;
  std::chrono::steady_clock::time_point shown_{};
};

template <class Net>
void train(const TrainConfig& config) {
  const Dataset train_set = load_fashion_mnist(config.data, Split::train);
  const Dataset test_set = load_fashion_mnist(config.data, Split::test);
  if (config.limit && *config.limit > train_set.size())
    throw UsageError("--limit " + std::to_string(*config.limit) + " exceeds the " +
                     std::to_string(train_set.size()) + " training images");
  const int train_count = config.limit.value_or(train_set.size());

  std::error_code ec;
  std::filesystem::create_directories(config.out, ec);
  if (ec) throw Error("--out " + config.out.string() + ": cannot create directory: " + ec.message());
  const nlohmann::json config_json = to_json(config);
  open_output(config.out / "config.json") << config_json.dump(2) << "\n";

  Params<Net> params = config.init.empty()
                           ? init_like_pytorch<Net>(config.seed, {.alpha = config.alpha_init})
                           : load_checkpoint<Net>(config.init);
  ThreadPool pool(config.threads);
  Trainer<Net> trainer(params,
                       {.adam = {.lr = config.lr},
                        .lambda = config.lambda,
                        .reduction = config.reduction == "sum" ? Reduction::sum : Reduction::mean},
                       pool, config.batch);
  Workspace<Net> eval_space(config.batch, pool.size());
  constexpr auto alphas = alpha_tensors<Net>();
  const InputScale scale = config.input_scale == "raw" ? InputScale::raw : InputScale::unit;
  constexpr std::size_t image_size = Net::input_shape.size();

  std::ofstream metrics = open_output(config.out / "metrics.csv");
  std::ofstream epochs_csv = open_output(config.out / "epochs.csv");
  metrics << "step,epoch,loss,ce,penalty,alpha1,alpha2,alpha3,grad_alpha1,grad_alpha2,grad_alpha3\n";
  epochs_csv << "epoch,train_loss,test_loss,test_acc,seconds,images_per_s\n";

  std::vector<std::uint32_t> order(train_count);
  std::iota(order.begin(), order.end(), 0u);
  Rng shuffler(shuffle_seed(config.seed));
  std::vector<float> images(std::size_t(config.batch) * image_size);
  std::vector<std::uint8_t> labels(config.batch);
  const long steps_per_epoch = (train_count + config.batch - 1) / config.batch;
  Progress progress;
  long step = 0;
  bool stop = false;
  double test_acc = 0.0;

  // Up to three alpha columns (CONVENTIONS.md), empty for fixed activations.
  auto alpha_cells = [&](auto value_of) {
    std::string cells;
    char text[32];
    for (std::size_t k = 0; k < 3; ++k) {
      cells += ',';
      if (k < alphas.size()) {
        std::snprintf(text, sizeof text, "%.9g", value_of(alphas[k].offset));
        cells += text;
      }
    }
    return cells;
  };

  for (int epoch = 1; epoch <= config.epochs && !stop; ++epoch) {
    if (!config.no_shuffle) shuffler.shuffle(std::span(order));
    const auto start = std::chrono::steady_clock::now();
    double loss_sum = 0.0;
    long epoch_steps = 0, epoch_images = 0;
    for (int first = 0; first < train_count && !stop; first += config.batch) {
      const int n = std::min(config.batch, train_count - first);
      gather_batch(train_set, std::span(order).subspan(first, n), scale, images.data(),
                   labels.data());
      const StepStats stats = trainer.step(Batch<Net::input_shape>{images.data(), n}, labels.data());
      if (!std::isfinite(stats.loss))
        throw Error("training diverged: the loss is " + std::to_string(stats.loss) + " at step " +
                    std::to_string(step + 1));
      ++step;
      ++epoch_steps;
      epoch_images += n;
      loss_sum += stats.loss;
      char row[160];
      std::snprintf(row, sizeof row, "%ld,%d,%.9g,%.9g,%.9g", step, epoch, stats.loss, stats.ce,
                    stats.penalty);
      metrics << row << alpha_cells([&](std::size_t at) { return params.values()[at]; })
              << alpha_cells([&](std::size_t at) { return trainer.gradients()[at]; }) << '\n';
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::string alpha_text;
      for (const NetTensor& t : alphas) alpha_text += "  " + t.name() + " " + std::to_string(params.values()[t.offset]).substr(0, 6);
      progress.update(epoch, config.epochs, epoch_steps, steps_per_epoch, stats, alpha_text,
                      epoch_images / seconds);
      stop = config.steps && step >= *config.steps;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    CrossEntropy test;
    std::vector<std::uint32_t> test_order(std::min(config.batch, test_set.size()));
    for (int first = 0; first < test_set.size(); first += config.batch) {
      const int n = std::min(config.batch, test_set.size() - first);
      std::iota(test_order.begin(), test_order.begin() + n, std::uint32_t(first));
      gather_batch(test_set, std::span(test_order).first(n), scale, images.data(),
                   labels.data());
      const CrossEntropy part =
          evaluate(params, Batch<Net::input_shape>{images.data(), n}, labels.data(), eval_space, pool);
      test.sum += part.sum;
      test.correct += part.correct;
    }
    test_acc = double(test.correct) / test_set.size();
    char row[200];
    std::snprintf(row, sizeof row, "%d,%.9g,%.9g,%.9g,%.3f,%.1f\n", epoch, loss_sum / epoch_steps,
                  test.sum / test_set.size(), test_acc, seconds, epoch_images / seconds);
    epochs_csv << row;
    epochs_csv.flush();
    metrics.flush();
    std::printf("epoch %d: train loss %.4f  test loss %.4f  test accuracy %.4f  %.1f s  %.0f images/s\n",
                epoch, loss_sum / epoch_steps, test.sum / test_set.size(), test_acc, seconds,
                epoch_images / seconds);
    std::fflush(stdout);
    save_checkpoint(config.out / "model.safetensors", params, config_json.dump());
  }

  std::printf("test accuracy %.4f", test_acc);
  for (const NetTensor& t : alphas) std::printf("  %s %.4f", t.name().c_str(), params.values()[t.offset]);
  std::printf("\nwrote %s\n", (config.out / "model.safetensors").c_str());
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto config = std::make_shared<TrainConfig>();
  CLI::App* cmd = app.add_subcommand("train", "Train one network of the study on FashionMNIST");
  cmd->add_option("--data", config->data,
                  "FashionMNIST directory (IDX files, gzip or plain; also $LINCONV_DATA)")
      ->capture_default_str();
  cmd->add_option("--activation", config->activation,
                  "alpha: learnable ReLU_alpha; relu: alpha fixed at 1; linear: alpha fixed at 0")
      ->check(one_of({"alpha", "relu", "linear"}))
      ->capture_default_str();
  cmd->add_option("--lambda", config->lambda, "Weight of the penalty lambda * sum |alpha|")
      ->check(at_least(0))
      ->capture_default_str();
  cmd->add_option("--epochs", config->epochs, "Passes over the training images")
      ->check(at_least(1))
      ->capture_default_str();
  cmd->add_option("--batch", config->batch, "Images per optimiser step")
      ->check(at_least(1))
      ->capture_default_str();
  cmd->add_option("--lr", config->lr, "Adam learning rate")->check(at_least(0))->capture_default_str();
  cmd->add_option("--alpha-init", config->alpha_init, "Initial value of every alpha")->capture_default_str();
  cmd->add_option("--reduction", config->reduction, "Cross-entropy over the batch: mean or sum")
      ->check(one_of({"mean", "sum"}))
      ->capture_default_str();
  cmd->add_option("--input-scale", config->input_scale, "unit: pixels / 255; raw: pixels 0..255")
      ->check(one_of({"unit", "raw"}))
      ->capture_default_str();
  cmd->add_option("--seed", config->seed, "Seed of initialisation and shuffling")->capture_default_str();
  cmd->add_option("--threads", config->threads, "Worker threads (the batch is split between them)")
      ->check(at_least(1))
      ->capture_default_str();
  cmd->add_option("--limit", config->limit, "Train on the first N training images only")
      ->check(at_least(1));
  cmd->add_option("--steps", config->steps, "Stop after N optimiser steps")->check(at_least(1));
  cmd->add_flag("--no-shuffle", config->no_shuffle, "Keep the training images in file order");
  cmd->add_option("--init", config->init, "Start from this checkpoint (.safetensors) instead of a random init")
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", config->out, "Output directory")->capture_default_str();
  cmd->callback([config] {
    with_network(config->activation, [&]<class Net>() { train<Net>(*config); });
  });
}

}  // namespace linconv::cli
