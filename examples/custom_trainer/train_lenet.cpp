// train_lenet OUT [EPOCHS [LIMIT]]: trains LeNet from code, with linconv's training run and no
// command-line library: the same files in OUT as `lenet_trainer train --out OUT` writes, and
// Ctrl-C saves the run (train_lenet then continues it when started again with the same OUT).
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "lenet.hpp"
#include <linconv/training_run.hpp>

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    std::fprintf(stderr, "usage: train_lenet OUT [EPOCHS [LIMIT]]\n");
    return 2;
  }
  linconv::RunConfig config;  // the defaults of `lenet_trainer train`
  config.net = "lenet";
  config.out = argv[1];
  if (argc > 2) config.epochs = std::atoi(argv[2]);
  if (argc > 3) config.limit = std::atoi(argv[3]);
  try {
    const bool resume = std::filesystem::exists(config.out / "state.safetensors");
    const linconv::InterruptHandler interrupts;
    const linconv::RunOptions options{.resume = resume, .verbose = true,
                                      .resume_command = "train_lenet " + config.out.string()};
    linconv::train_run<LeNet>(config, linconv::load_training_data(config.data), options);
  } catch (const linconv::Error& e) {
    std::fprintf(stderr, "train_lenet: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
