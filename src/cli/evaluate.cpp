// `linconv eval`, `linconv predict` and `linconv grad`: what a checkpoint does on data.
//   eval     test-set accuracy and mean cross-entropy;
//   predict  float32 logits [N, 10] of the images of an IDX file, as .npy;
//   grad     the gradient of the training loss on one batch (the first N training images, in
//            order) for every tensor, as safetensors with the checkpoint's names and shapes.
#include <cstdio>

#include "commands.hpp"
#include "common.hpp"
#include "linconv/npy.hpp"

namespace linconv::cli {
namespace {

// Options every command that reads a checkpoint takes.
struct CheckpointOptions {
  std::filesystem::path checkpoint;
  std::string net, activation;  // only for checkpoints without architecture metadata
  std::string input_scale;  // empty: as the checkpoint was trained
  std::optional<int> limit;
  int threads = default_threads();

  void add_to(CLI::App* cmd) {
    cmd->add_option("--checkpoint", checkpoint, "Model to use (.safetensors)")->required()->check(CLI::ExistingFile);
    add_network_options(cmd, net, activation);
    cmd->add_option("--input-scale", input_scale, "unit or raw (default: as the checkpoint was trained)")
        ->check(one_of({"unit", "raw"}));
    cmd->add_option("--limit", limit, "Use the first N images only")->check(at_least(1));
    cmd->add_option("--threads", threads, "Worker threads")->check(at_least(1))->capture_default_str();
  }

  int count(int available, const std::string& what) const {
    if (limit && *limit > available)
      throw UsageError("--limit " + std::to_string(*limit) + " exceeds the " + std::to_string(available) + " " + what);
    return limit.value_or(available);
  }
};

}  // namespace

void add_eval_command(CLI::App& app) {
  auto options = std::make_shared<CheckpointOptions>();
  auto data = std::make_shared<std::filesystem::path>(default_data_dir());
  CLI::App* cmd = app.add_subcommand("eval", "Test-set accuracy and loss of a checkpoint");
  options->add_to(cmd);
  cmd->add_option("--data", *data, "FashionMNIST directory")->capture_default_str();
  cmd->callback([options, data] {
    const CheckpointInfo info = read_checkpoint_info(options->checkpoint, options->net, options->activation);
    const Dataset test = load_fashion_mnist(*data, Split::test);
    const int count = options->count(test.size(), "test images");
    with_checkpoint(info, [&]<class Net>(const Params<Net>& params) {
      ThreadPool pool(options->threads);
      Workspace<Net> workspace(100, pool.size());
      const Evaluation e = evaluate_dataset(params, test, count, info.input_scale(options->input_scale), workspace, pool);
      std::printf("test accuracy %.4f  test loss %.4f  (%d images)\n", e.accuracy, e.loss, count);
    });
  });
}

void add_predict_command(CLI::App& app) {
  auto options = std::make_shared<CheckpointOptions>();
  auto images_file = std::make_shared<std::filesystem::path>();
  auto output = std::make_shared<std::filesystem::path>();
  CLI::App* cmd = app.add_subcommand("predict", "Logits of a checkpoint for the images of an IDX file, as .npy");
  options->add_to(cmd);
  cmd->add_option("--images", *images_file, "IDX image file, gzip or plain")->required();
  cmd->add_option("--output", *output, "Where to write float32 logits [N, 10] (.npy)")->required();
  cmd->callback([options, images_file, output] {
    const CheckpointInfo info = read_checkpoint_info(options->checkpoint, options->net, options->activation);
    const IdxImages images = read_idx_images(*images_file);
    const int count = options->count(images.count, "images of " + images_file->string());
    with_checkpoint(info, [&]<class Net>(const Params<Net>& params) {
      if (images.rows != Net::input_shape.h || images.cols != Net::input_shape.w)
        throw Error(images_file->string() + ": images are " + std::to_string(images.rows) + "x" +
                    std::to_string(images.cols) + ", the network takes " + std::to_string(Net::input_shape.h) +
                    "x" + std::to_string(Net::input_shape.w));
      constexpr int batch = 100, classes = Net::output_shape.size();
      ThreadPool pool(options->threads);
      Workspace<Net> workspace(batch, pool.size());
      std::vector<float> inputs(std::size_t(batch) * Net::input_shape.size()), logits(std::size_t(count) * classes);
      std::vector<std::uint8_t> unused_labels(batch, 0);
      std::vector<std::uint32_t> order(batch);
      const InputScale scale = info.input_scale(options->input_scale);
      for (int first = 0; first < count; first += batch) {
        const int n = std::min(batch, count - first);
        std::iota(order.begin(), order.begin() + n, std::uint32_t(first));
        gather_batch(images, std::span(order).first(n), scale, inputs.data());
        evaluate(params, Batch<Net::input_shape>{inputs.data(), n}, unused_labels.data(), workspace, pool);
        for (int i = 0; i < n; ++i)
          std::copy_n(workspace.activation(Net::layer_count, i), classes, logits.begin() + std::size_t(first + i) * classes);
      }
      write_npy(*output, logits, {count, classes});
      std::printf("wrote logits of %d images to %s\n", count, output->c_str());
    });
  });
}

void add_grad_command(CLI::App& app) {
  auto options = std::make_shared<CheckpointOptions>();
  auto data = std::make_shared<std::filesystem::path>(default_data_dir());
  auto lambda = std::make_shared<float>(0.5f);
  auto reduction = std::make_shared<std::string>("mean");
  auto output = std::make_shared<std::filesystem::path>();
  CLI::App* cmd = app.add_subcommand(
      "grad", "Gradient of the training loss on the first N training images (one batch, in order)");
  options->add_to(cmd);
  options->limit = 100;
  cmd->add_option("--data", *data, "FashionMNIST directory")->capture_default_str();
  cmd->add_option("--lambda", *lambda, "Weight of the penalty lambda * sum |alpha|")->check(at_least(0))->capture_default_str();
  cmd->add_option("--reduction", *reduction, "mean or sum")->check(one_of({"mean", "sum"}))->capture_default_str();
  cmd->add_option("--output", *output, "Where to write the gradients (.safetensors)")->required();
  cmd->callback([options, data, lambda, reduction, output] {
    const CheckpointInfo info = read_checkpoint_info(options->checkpoint, options->net, options->activation);
    const Dataset train = load_fashion_mnist(*data, Split::train);
    const int count = options->count(train.size(), "training images");
    with_checkpoint(info, [&]<class Net>(Params<Net> params) {
      ThreadPool pool(options->threads);
      Trainer<Net> trainer(params,
                           {.lambda = *lambda, .reduction = *reduction == "sum" ? Reduction::sum : Reduction::mean},
                           pool, count);
      std::vector<float> images(std::size_t(count) * Net::input_shape.size());
      std::vector<std::uint8_t> labels(count);
      std::vector<std::uint32_t> order(count);
      std::iota(order.begin(), order.end(), 0u);
      gather_batch(train, order, info.input_scale(options->input_scale), images.data(), labels.data());
      const StepStats stats = trainer.compute_gradients(Batch<Net::input_shape>{images.data(), count}, labels.data());
      write_safetensors(*output, tensor_views<Net>(trainer.gradients()),
                        {{"architecture", std::string(Net::architecture.view())},
                         {"loss", std::to_string(stats.loss)},
                         {"images", std::to_string(count)},
                         {"lambda", std::to_string(*lambda)},
                         {"reduction", *reduction}});
      std::printf("loss %.6f on %d images; wrote gradients to %s\n", stats.loss, count, output->c_str());
    });
  });
}

}  // namespace linconv::cli
