#pragma once
// The subcommands of the `linconv` tool. Each registers its options on the parent app and runs
// from the app's callback; failures throw linconv::Error (exit 1) or UsageError (exit 2).
#include <CLI/CLI.hpp>

namespace linconv::cli {

void add_train_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_predict_command(CLI::App& app);
void add_grad_command(CLI::App& app);
void add_sweep_command(CLI::App& app);
void add_export_command(CLI::App& app);
void add_features_command(CLI::App& app);
void add_report_command(CLI::App& app);

}  // namespace linconv::cli
