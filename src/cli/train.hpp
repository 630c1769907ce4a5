#pragma once
// `train`, and one training run as `train` and `sweep` start it (the run itself is
// linconv/training_run.hpp).
#include "linconv/training_run.hpp"
#include "networks.hpp"

namespace linconv::cli {

// Trains the network of config.net and config.activation (fresh, or with `resume` the
// interrupted run in config.out). `verbose`: progress and results on the console.
void train_run(const NetworkList& networks, const RunConfig& config, bool resume, const TrainingData& data,
               bool verbose);

}  // namespace linconv::cli
