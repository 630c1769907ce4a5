#pragma once
// The networks and run settings of fuzz_checkpoint.cpp, shared with make_checkpoint_corpus.cpp,
// which writes the seeds: real checkpoints of these networks, saved by the library.
#include <string>

#include "linconv/fashion_net.hpp"
#include "linconv/fold.hpp"
#include "linconv/layers/relu_alpha_per_channel.hpp"
#include "linconv/training_run.hpp"

namespace linconv::fuzz {

// (a) The report's network, one learnable alpha per layer (`linconv --net fashion`).
using AlphaNet = FashionNet;
// (b) Its first attempt with batch norm (F32 running statistics, I64 num_batches_tracked) and one
// alpha per channel (`--net fashion-bn-pool --activation channel`); also (d), the network whose
// training state (state.safetensors) is loaded.
using FirstAttempt = FashionNetBnPoolWith<ReLUAlphaPerChannel>;
// (c) A folded network: conv1's alpha snapped to ReLU, the rest folded into one Dense.
inline constexpr SnapPattern<FashionNet> fold_pattern{Snap::relu, Snap::identity, Snap::identity};
using FoldedNet = Folded<FashionNet, fold_pattern>;

// The settings of the run whose checkpoints are the seeds; check_saved_config compares a file's
// "config" metadata with them. Fixed, so that the seeds do not depend on the machine.
inline RunConfig seed_run_config() {
  RunConfig config;
  config.data = "data";
  config.net = "fashion-bn-pool";
  config.activation = "channel";
  config.threads = 1;
  config.limit = 200;
  config.out = "runs/fuzz";
  return config;
}

}  // namespace linconv::fuzz
