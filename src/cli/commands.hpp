#pragma once
// The commands of cli::run (linconv/cli.hpp). Each registers its options on the app and runs
// from the app's callback over the program's networks; failures throw linconv::Error (exit 1)
// or UsageError (exit 2).
#include <CLI/CLI.hpp>

#include "linconv/cli.hpp"
#include "networks.hpp"

namespace linconv::cli {

void add_train_command(CLI::App& app, const NetworkList& networks, const Program& program);
void add_eval_command(CLI::App& app, const NetworkList& networks);
void add_predict_command(CLI::App& app, const NetworkList& networks);
void add_grad_command(CLI::App& app, const NetworkList& networks);
void add_export_command(CLI::App& app, const NetworkList& networks);
void add_features_command(CLI::App& app, const NetworkList& networks);
void add_fold_command(CLI::App& app, const NetworkList& networks);

// Thrown by a command to end the program with `status` and no message (another MPI rank has
// reported the error).
struct ExitStatus {
  int status;
};

}  // namespace linconv::cli
