// `train`: trains one of the program's networks into --out (linconv/training_run.hpp says what it
// writes). SIGINT/SIGTERM finish the current step, save, and exit 1 (a second signal exits at once);
// `--resume DIR` continues to the same final weights as an uninterrupted run.
#include "train.hpp"

#include "commands.hpp"
#include "common.hpp"

namespace linconv::cli {

void train_run(const NetworkList& networks, const RunConfig& config, bool resume, const TrainingData& data,
               bool verbose) {
  networks.find(config.net, config.activation)
      .train(config, data,
             {.resume = resume,
              .verbose = verbose,
              .resume_command = networks.program() + " train --resume " + config.out.string()});
}

void add_train_command(CLI::App& app, const NetworkList& networks, const Program& help) {
  auto config = std::make_shared<RunConfig>();
  auto resume = std::make_shared<std::filesystem::path>();
  config->net = networks.entries().front().net;
  CLI::App* cmd = app.add_subcommand("train", "Train a network on FashionMNIST");
  cmd->add_option("--data", config->data, "FashionMNIST directory (IDX files, gzip or plain; also $LINCONV_DATA)")
      ->capture_default_str();
  cmd->add_option("--net", config->net,
                  help.net_help.empty() ? "Network to train: " + choice_text(networks.net_names()) : std::string(help.net_help))
      ->check(one_of(networks.net_names()))
      ->capture_default_str();
  if (networks.has_variants())
    cmd->add_option("--activation", config->activation,
                    help.activation_help.empty()
                        ? "Variant of --net to train: " + choice_text(networks.activation_names()) +
                              " (default: the first listed for --net)"
                        : std::string(help.activation_help))
        ->check(one_of(networks.activation_names()));
  CLI::Option* lambda =
      cmd->add_option("--lambda", config->lambda, "Weight of the penalty lambda * sum |alpha| (networks with alphas only)")
          ->check(finite_float(Bound::at_least, 0))
          ->capture_default_str();
  CLI::Option* alpha_init =
      cmd->add_option("--alpha-init", config->alpha_init, "Initial value of every alpha (networks with alphas only)")
          ->check(finite_float())
          ->capture_default_str();
  cmd->add_option("--epochs", config->epochs, "Passes over the training images")->check(at_least(1))->capture_default_str();
  cmd->add_option("--batch", config->batch, "Images per optimiser step (at most the training images used)")
      ->check(at_least(1))
      ->capture_default_str();
  cmd->add_option("--lr", config->lr, "Learning rate of --optimizer (greater than 0)")
      ->check(finite_float(Bound::above, 0))
      ->capture_default_str();
  cmd->add_option("--optimizer", config->optimizer,
                  "adam (torch.optim.Adam's rule) or sgd (plain SGD: p -= lr * g, no momentum)")
      ->check(one_of({"adam", "sgd"}))
      ->capture_default_str();
  cmd->add_option("--reduction", config->reduction, "Cross-entropy over the batch: mean or sum")
      ->check(one_of({"mean", "sum"}))
      ->capture_default_str();
  CLI::Option* lambda_scale = add_lambda_scale_option(cmd, config->lambda_scale);
  cmd->add_option("--input-scale", config->input_scale, "unit: pixels / 255; raw: pixels 0..255")
      ->check(one_of({"unit", "raw"}))
      ->capture_default_str();
  cmd->add_option("--seed", config->seed, "Seed of initialisation and shuffling")->capture_default_str();
  cmd->add_option("--threads", config->threads,
                  "Worker threads, at most " + std::to_string(max_thread_count()) +
                      " (results are bit-identical for a fixed count)")
      ->check(thread_count())
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
  cmd->callback([cmd, config, resume, resume_option, lambda, alpha_init, lambda_scale, &networks] {
    const InterruptHandler interrupts(networks.program());
    if (resume_option->count() == 0) {
      const NetworkOps& network = networks.find(config->net, config->activation);
      config->activation = network.activation;  // the default variant, named in config.json
      if (network.alpha_count == 0)
        for (const CLI::Option* option : {lambda, alpha_init, lambda_scale})
          if (option->count() > 0)
            throw UsageError(option->get_name() + ": --net " + config->net +
                             (network.activation.empty() ? "" : " --activation " + config->activation) +
                             " has no alphas");
      train_run(networks, *config, false, load_training_data(config->data), true);
      return;
    }
    for (const CLI::Option* option : cmd->get_options())
      if (option != resume_option && option->count() > 0)
        throw UsageError("--resume continues a run with its own config.json; " + option->get_name() +
                         " cannot be combined with it");
    const RunConfig earlier = read_run_config(*resume, std::string(networks.entries().front().net));
    train_run(networks, earlier, true, load_training_data(earlier.data), true);
  });
}

}  // namespace linconv::cli
