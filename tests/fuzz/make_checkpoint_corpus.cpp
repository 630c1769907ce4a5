// Writes the seeds of fuzz_checkpoint.cpp: real checkpoints of its networks, saved by the library
// (save_checkpoint, stage_state, write_safetensors), into the directory given:
//
//   cmake --build build/release --target linconv_fuzz_make_checkpoint_corpus
//   build/release/tests/fuzz/linconv_fuzz_make_checkpoint_corpus tests/fuzz/corpus/checkpoint
//
// Deterministic: fixed seeds and settings, so rerunning it changes nothing. The weights are
// PyTorch's initialisation with every tensor of more than 1024 elements set to zero, so that the
// files (FashionNet's is 1 MB: its fc1 has 250,880 weights) compress to little in git.
#include <cstdio>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "fuzz_checkpoint_nets.hpp"
#include "linconv/checkpoint.hpp"

namespace {

using namespace linconv;
namespace fs = std::filesystem;

template <class Net>
Params<Net> seed_params(std::uint64_t seed) {
  Params<Net> params = init_like_pytorch<Net>(seed, {.alpha = 0.5f});
  for (const NetTensor& t : Net::tensors)
    if (t.tensor.count() > 1024)
      for (float& v : params.tensor(t)) v = 0.0f;
  // Buffers as after some training: running statistics away from their start, a batch count.
  for (const NetTensor& t : Net::buffer_tensors) {
    if (t.tensor.integer) {
      for (std::int64_t& c : params.counter(t)) c = 600;
    } else {
      float x = t.tensor.suffix == "running_var" ? 0.75f : -0.125f;
      for (float& v : params.tensor(t)) v = (x += 0.0625f);
    }
  }
  // Per-channel alphas spread over [0, 1].
  for (const NetTensor& t : alpha_tensors<Net>())
    if (t.tensor.count() > 1) {
      const std::span<float> alphas = params.tensor(t);
      for (std::size_t c = 0; c < alphas.size(); ++c) alphas[c] = float(c % 5) / 4.0f;
    }
  return params;
}

template <class Net>
void checkpoint(const fs::path& file, std::uint64_t seed, const std::string& config_json) {
  save_checkpoint(file, seed_params<Net>(seed), config_json);
  std::printf("wrote %s\n", file.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const fs::path dir = argv[1];
  fs::create_directories(dir);
  RunConfig config = fuzz::seed_run_config();
  const std::string config_json = run_config_json(config);
  using First = fuzz::FirstAttempt;

  // (a), (b), (c): checkpoints as `linconv train` (or fold) saves them.
  checkpoint<fuzz::AlphaNet>(dir / "seed-fashion-alpha", 1, config_json);
  checkpoint<First>(dir / "seed-first-attempt", 2, config_json);
  checkpoint<fuzz::FoldedNet>(dir / "seed-folded-relu-identity-identity", 3, config_json);
  // Trained on raw pixels: "input_scale" "raw" in the config.
  config.input_scale = "raw";
  checkpoint<First>(dir / "seed-first-attempt-raw-scale", 4, run_config_json(config));
  // A PyTorch state_dict saved with safetensors: the tensors alone, no metadata.
  write_safetensors(dir / "seed-first-attempt-no-metadata", state_views<First>(seed_params<First>(5)), {});
  std::printf("wrote %s\n", (dir / "seed-first-attempt-no-metadata").c_str());

  // (d): the state of a run of the first attempt interrupted in its second epoch.
  AdamState adam(First::param_count, {});
  std::vector<float> m(First::param_count, 0.0f), v(First::param_count, 0.0f);
  for (std::size_t i = 0; i < 64; ++i) {
    m[i] = float(i) / 64.0f - 0.5f;
    v[i] = float(i) / 4096.0f;
  }
  adam.restore(250, m, v);
  run_detail::Position at{.step = 250, .epoch = 2, .batches_done = 50, .loss_sum = 30.5, .images = 5000,
                          .seconds = 12.25, .finished = false};
  run_detail::stage_state<First>(dir / "seed-state", seed_params<First>(6), adam, at, config_json).commit();
  std::printf("wrote %s\n", (dir / "seed-state").c_str());
  // A state saved before states held the weights: Adam's moments and the metadata only.
  std::vector<TensorView> moments = tensor_views<First>(adam.first_moment(), "adam.m.");
  std::ranges::move(tensor_views<First>(adam.second_moment(), "adam.v."), std::back_inserter(moments));
  std::map<std::string, std::string> meta = run_detail::position_metadata(at);
  meta["architecture"] = std::string(First::architecture.view());
  meta["adam_step"] = "250";
  meta["config"] = config_json;
  write_safetensors(dir / "seed-state-without-weights", moments, meta);
  std::printf("wrote %s\n", (dir / "seed-state-without-weights").c_str());

  // Reproducers of the findings in README.md, refused since they were fixed.
  const auto state = [&](const char* name, const AdamState& a, const run_detail::Position& p) {
    run_detail::stage_state<First>(dir / name, seed_params<First>(6), a, p, config_json).commit();
    std::printf("wrote %s\n", (dir / name).c_str());
  };
  // A position before the start of the epoch: --resume indexed the shuffled order at -5000.
  run_detail::Position before = at;
  before.batches_done = -50;
  state("bug-state-negative-batches-done", adam, before);
  // Adam's step at LONG_MAX: the next step overflowed it.
  AdamState last(First::param_count, {});
  last.restore(std::numeric_limits<long>::max(), m, v);
  state("bug-state-adam-step-overflow", last, at);
  // A negative second moment: the next step's sqrt made the parameters NaN.
  std::vector<float> negative = v;
  negative[3] = -1.0f;
  AdamState bad_v(First::param_count, {});
  bad_v.restore(250, m, negative);
  state("bug-state-negative-second-moment", bad_v, at);
  // An input scale nested 200,000 deep in the "config" metadata: printing it in the error
  // messages (checkpoint_input_scale, check_saved_config) recursed once per level and
  // overflowed the stack. 400 KB of brackets; compresses to a few KB.
  const std::string deep = std::string(200'000, '[') + std::string(200'000, ']');
  const std::string deep_config = R"({"input_scale":)" + deep + "}";
  save_checkpoint(dir / "bug-config-deep-nesting", seed_params<First>(7), deep_config);
  std::printf("wrote %s\n", (dir / "bug-config-deep-nesting").c_str());
  return 0;
}
