// libFuzzer target for what is read from checkpoints beyond the safetensors container: the input
// is one safetensors file, loaded the way the library's users load it into
//   (a) the report's network, one alpha per layer (FashionNet), as Model<Net>::load and
//       `linconv eval` do: params_from_checkpoint, then checkpoint_input_scale (the "config"
//       metadata);
//   (b) the first attempt with BatchNorm2d buffers (running statistics F32, num_batches_tracked
//       I64) and per-channel alphas, the same way;
//   (c) a folded network of fold.hpp (Folded<FashionNet, {relu, identity, identity}>), the same
//       way (test_fold.cpp loads one with Model::load);
//   (d) the training state of a run of (b), as train_run with --resume reads state.safetensors:
//       load_state_params (the weights and buffers, "model." + name, or those of model.safetensors
//       in an older state: here the same file) and load_state (Adam's moments "adam.m."/"adam.v."
//       and the position metadata), both checking the "config" metadata against the run's.
// Refusal must be linconv::Error; any other exception, crash or sanitizer report is a finding,
// and so is an accepted file whose numbers a network cannot use: a wrong count of parameters,
// buffers or counters, a non-finite parameter or buffer, Adam's moments of the wrong size, not
// finite or a negative second moment (sqrt gives NaN), an Adam step or a position that a run
// cannot continue from (negative counts, an epoch before the first, non-finite sums).
// Only loading is compiled: no training engine, no convolution kernel.
// With LINCONV_FUZZ_TRACE set, each loader says on stderr whether it accepted the input (or
// why not), to check what the seeds reach.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <span>
#include <string>

#include "fuzz_checkpoint_nets.hpp"
#include "fuzz_input_file.hpp"
#include "linconv/checkpoint.hpp"
#include "linconv/error.hpp"
#include "linconv/model.hpp"
#include "linconv/safetensors.hpp"

namespace {

using namespace linconv;

// Runs `load` as expect_only_linconv_error does, saying on stderr what came of it when traced.
template <class Load>
void run_loader(const char* what, Load&& load) {
  static const bool trace = std::getenv("LINCONV_FUZZ_TRACE") != nullptr;
  fuzz::expect_only_linconv_error(what, [&] {
    try {
      load();
      if (trace) std::fprintf(stderr, "  %s: accepted\n", what);
    } catch (const Error& e) {
      if (trace) std::fprintf(stderr, "  %s: refused: %.200s\n", what, e.what());
      throw;
    }
  });
}

void expect_finite(std::span<const float> values, const char* what) {
  for (const float v : values)
    if (!std::isfinite(v)) fuzz::finding(std::string("accepted a non-finite value in ") + what);
}

template <class Net>
void expect_usable(const Params<Net>& params, const char* net) {
  if (params.values().size() != Net::param_count || params.buffers().size() != Net::buffer_floats ||
      params.counters().size() != Net::counter_count)
    fuzz::finding(std::string(net) + ": parameters of the wrong count");
  expect_finite(params.values(), "the parameters");
  expect_finite(params.buffers(), "the buffers");
}

// As Model<Net>::load and `linconv eval`: the parameters, then the input scale of the config.
template <class Net>
void load_model(const SafetensorsFile& contents, const std::string& path, const char* net) {
  run_loader(net, [&] {
    const Params<Net> params = params_from_checkpoint<Net>(contents, path);
    const InputScale scale = checkpoint_input_scale(contents, path);
    if (scale != InputScale::unit && scale != InputScale::raw) fuzz::finding("input scale out of range");
    expect_usable(params, net);
  });
}

// As train_run with --resume reads state.safetensors (and, for an older state, model.safetensors).
void load_training_state(const SafetensorsFile& contents, const std::string& path, const std::string& config_json) {
  using Net = fuzz::FirstAttempt;
  run_loader("training state", [&] {
    const Params<Net> params = run_detail::load_state_params<Net>(contents, path, path, config_json);
    expect_usable(params, "training state");
    AdamState adam(Net::param_count, {});
    const run_detail::Position at = run_detail::load_state<Net>(contents, path, adam, config_json);
    if (adam.first_moment().size() != Net::param_count || adam.second_moment().size() != Net::param_count)
      fuzz::finding("training state: Adam's moments of the wrong count");
    expect_finite(adam.first_moment(), "Adam's first moment");
    expect_finite(adam.second_moment(), "Adam's second moment");
    for (const float v : adam.second_moment())
      if (v < 0.0f) fuzz::finding("training state: accepted a negative Adam second moment");
    // The next step increments it.
    if (adam.step() < 0 || adam.step() == std::numeric_limits<long>::max())
      fuzz::finding("training state: accepted Adam step " + std::to_string(adam.step()));
    if (at.step < 0 || at.epoch < 1 || at.batches_done < 0 || at.images < 0 || !std::isfinite(at.loss_sum) ||
        !std::isfinite(at.seconds) || at.seconds < 0.0)
      fuzz::finding("training state: accepted a position a run cannot continue from (step " +
                    std::to_string(at.step) + ", epoch " + std::to_string(at.epoch) + ", batches_done " +
                    std::to_string(at.batches_done) + ", images " + std::to_string(at.images) + ")");
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static fuzz::InputFile file("fuzz_checkpoint");
  static const std::string config_json = run_config_json(fuzz::seed_run_config());
  const std::string& path = file.write(data, size);

  // The container once (fuzz_safetensors.cpp checks the reader itself), then every network.
  SafetensorsFile contents;
  bool read = false;
  run_loader("read_safetensors", [&] {
    contents = read_safetensors(path);
    read = true;
  });
  if (!read) return 0;
  load_model<fuzz::AlphaNet>(contents, path, "FashionNet");
  load_model<fuzz::FirstAttempt>(contents, path, "FashionNetBnPool<ReLUAlphaPerChannel>");
  load_model<fuzz::FoldedNet>(contents, path, "Folded<FashionNet, relu, identity, identity>");
  load_training_state(contents, path, config_json);
  return 0;
}
