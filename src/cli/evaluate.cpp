// `eval`, `predict` and `grad`: what a checkpoint does on data.
//   eval     test-set accuracy and mean cross-entropy;
//   predict  float32 logits [N, classes] of the images of an IDX file, as .npy;
//   grad     the gradient of the training loss on one batch (the first N training images, in
//            order) for every tensor, as safetensors with the checkpoint's names and shapes.
#include <cstdio>

#include "commands.hpp"
#include "common.hpp"
#include "linconv/npy.hpp"

namespace linconv::cli {

void add_eval_command(CLI::App& app, const NetworkList& networks) {
  auto options = std::make_shared<CheckpointOptions>();
  auto data = std::make_shared<std::filesystem::path>(default_data_dir());
  CLI::App* cmd = app.add_subcommand("eval", "Test-set accuracy and loss of a checkpoint");
  options->add_to(cmd, networks);
  cmd->add_option("--data", *data, "FashionMNIST directory")->capture_default_str();
  cmd->callback([options, data, &networks] {
    const CheckpointInfo info = read_checkpoint_info(networks, options->checkpoint, options->net, options->activation);
    const Dataset test = load_fashion_mnist(*data, Split::test);
    const int count = options->count(test.size(), "test images");
    const Evaluation e = evaluate(*info.network, info.contents, info.file, test, count,
                                                info.input_scale(options->input_scale), options->threads);
    std::printf("test accuracy %.4f  test loss %.4f  (%d images)\n", e.accuracy, e.loss, count);
  });
}

void add_predict_command(CLI::App& app, const NetworkList& networks) {
  auto options = std::make_shared<CheckpointOptions>();
  auto images_file = std::make_shared<std::filesystem::path>();
  auto output = std::make_shared<std::filesystem::path>();
  CLI::App* cmd = app.add_subcommand("predict", "Logits of a checkpoint for the images of an IDX file, as .npy");
  options->add_to(cmd, networks);
  cmd->add_option("--images", *images_file, "IDX image file, gzip or plain")->required();
  cmd->add_option("--output", *output, "Where to write float32 logits [N, classes] (.npy)")->required();
  cmd->callback([options, images_file, output, &networks] {
    const CheckpointInfo info = read_checkpoint_info(networks, options->checkpoint, options->net, options->activation);
    const IdxImages images = read_idx_images(*images_file);
    const int count = options->count(images.count, "images of " + images_file->string());
    check_image_shape(images, info.network->input_shape, images_file->string());
    const std::vector<float> logits = predict(*info.network, info.contents, info.file, images, count,
                                                            info.input_scale(options->input_scale), options->threads);
    write_npy(*output, logits, {count, info.network->output_shape.size()});
    std::printf("wrote logits of %d images to %s\n", count, output->c_str());
  });
}

void add_grad_command(CLI::App& app, const NetworkList& networks) {
  auto options = std::make_shared<CheckpointOptions>();
  auto data = std::make_shared<std::filesystem::path>(default_data_dir());
  auto lambda = std::make_shared<float>(0.5f);
  auto reduction = std::make_shared<std::string>("mean");
  auto lambda_scale = std::make_shared<std::string>("none");
  auto output = std::make_shared<std::filesystem::path>();
  CLI::App* cmd = app.add_subcommand(
      "grad", "Gradient of the training loss on the first N training images (one batch, in order)");
  options->add_to(cmd, networks);
  options->limit = 100;
  cmd->add_option("--data", *data, "FashionMNIST directory")->capture_default_str();
  CLI::Option* lambda_option =
      cmd->add_option("--lambda", *lambda, "Weight of the penalty lambda * sum |alpha| (networks with alphas)")
          ->check(finite_float(Bound::at_least, 0))
          ->capture_default_str();
  cmd->add_option("--reduction", *reduction, "mean or sum")->check(one_of({"mean", "sum"}))->capture_default_str();
  add_lambda_scale_option(cmd, *lambda_scale);
  cmd->add_option("--output", *output, "Where to write the gradients (.safetensors)")->required();
  cmd->callback([options, data, lambda, lambda_option, reduction, lambda_scale, output, &networks] {
    const CheckpointInfo info = read_checkpoint_info(networks, options->checkpoint, options->net, options->activation);
    const NetworkOps& network = *info.network;
    if (!network.gradients) throw Error(info.file.string() + ": " + folded_network_text(network) + ", which has no training loss");
    if (lambda_option->count() > 0 && network.alpha_count == 0)
      throw UsageError("--lambda: the network of " + info.file.string() + " has no alphas to penalise");
    const Dataset train = load_fashion_mnist(*data, Split::train);
    const int count = options->count(train.size(), "training images");
    RunConfig settings;
    settings.lambda = *lambda;
    settings.reduction = *reduction;
    settings.lambda_scale = *lambda_scale;
    const Gradients g = network.gradients(info.contents, info.file, train, count,
                                          info.input_scale(options->input_scale), train_options(settings),
                                          options->threads);
    write_safetensors(*output, tensor_views(network.tensors, g.values),
                      {{"architecture", std::string(network.architecture)},
                       {"loss", std::to_string(g.stats.loss)},
                       {"images", std::to_string(count)},
                       {"lambda", std::to_string(*lambda)},
                       {"reduction", *reduction},
                       {"lambda_scale", *lambda_scale}});
    std::printf("loss %.6f on %d images; wrote gradients to %s\n", g.stats.loss, count, output->c_str());
  });
}

}  // namespace linconv::cli
