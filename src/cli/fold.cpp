// `fold`: a checkpoint as the smaller network it computes once the alphas that training drove to
// 0 or 1 are taken at their word (linconv/fold.hpp). Alphas within --snap of 0 become the
// identity and those within --snap of 1 ReLU; the layers behind the last remaining non-linearity
// are then one affine map, written as one Dense. The folded network's checkpoint has its own
// architecture string, PyTorch's names for what remains, the source's training config (its
// input scale) and `fold.*` metadata naming the source and what was folded.
//
// What folding buys and what it costs are printed: architecture, parameters and FLOPs per image
// before and after; on the test set the accuracy of the original, of the original with its
// alphas snapped (the network the folded one computes exactly) and of the folded network, and
// the largest logit differences. The folded logits come from the file as written.
//
// `fold --merge-convs` instead merges each chain of stride-1 convolutions with the identity
// between them into one convolution (linconv/fold.hpp, MergedConvs): alphas within --snap of 0
// become the identity, the others stay as they are (`--activation linear` has none), and so does
// the rest of the network.
// That is exact except near the border (the ring where zero padding differs), so it reports the
// test accuracy of the merged network, and after `--fine-tune N` epochs of training (Adam, the
// source run's settings) again; it writes the merged checkpoint only when --out is given.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <stdlib.h>
#include <string>
#include <vector>

#include "fold.hpp"

#include "commands.hpp"
#include "common.hpp"

namespace linconv::cli {
namespace {

std::size_t parameter_count(const NetworkOps& network) {
  std::size_t count = 0;
  for (const NetTensor& t : network.tensors) count += t.tensor.count();
  return count;
}

// The source with each snapped alpha set to its snapped value: the unfolded network that the
// folded one computes.
SafetensorsFile snapped_contents(SafetensorsFile contents, const FoldedNetwork& folded) {
  for (Tensor& t : contents.tensors)
    for (const auto& [name, value] : folded.snapped_alphas)
      if (t.name == name) t.values.assign(1, value);
  return contents;
}

// What became of each alpha of one value: "act1.alpha 0.000213 -> Identity", "act2.alpha 0.41 kept".
void print_alphas(const SafetensorsFile& contents, const NetworkOps& network, const FoldedNetwork& folded) {
  for (const NetTensor& t : network.tensors) {
    if (t.tensor.suffix != "alpha" || t.tensor.count() != 1) continue;
    const std::string name = t.name();
    const auto snapped = std::ranges::find(folded.snapped_alphas, name, [](const auto& s) { return s.first; });
    std::printf("  %s %.6g %s\n", name.c_str(), double(contents.find(name)->values[0]),
                snapped == folded.snapped_alphas.end() ? "kept"
                                                       : (snapped->second == 0.0f ? "-> Identity" : "-> ReLU"));
  }
}

// The layers folded into the last Dense, when that is more than the Dense (and Flatten) itself.
std::string folded_text(const FoldedNetwork& folded) {
  std::string list;
  for (const std::string& layer : folded.folded_layers) list += (list.empty() ? "" : ", ") + layer;
  const auto merged = std::ranges::count_if(folded.folded_layers, [](const std::string& l) { return !l.starts_with("flatten"); });
  if (merged <= 1) return "nothing to fold behind the last non-linearity" + (list.empty() ? "" : " (" + list + ")");
  const NetTensor& weight = folded.network->tensors[folded.network->tensors.size() - 2];
  return "folded " + list + " into one Dense (" + std::to_string(weight.tensor.dims[1]) + " -> " +
         std::to_string(weight.tensor.dims[0]) + ")";
}

double largest_difference(std::span<const float> a, std::span<const float> b) {
  double largest = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) largest = std::max(largest, std::abs(double(a[i]) - double(b[i])));
  return largest;
}

double largest_magnitude(std::span<const float> values) {
  double largest = 0.0;
  for (const float v : values) largest = std::max(largest, std::abs(double(v)));
  return largest;
}

double accuracy(std::span<const float> logits, std::span<const std::uint8_t> labels, int classes) {
  return evaluation_of_logits(logits, labels, classes).accuracy;
}

// Parameters, FLOPs per image and architecture before and after, and how many times fewer.
void print_sizes(const NetworkOps& network, const NetworkOps& after) {
  std::printf("        %12s %13s  architecture\n", "parameters", "FLOPs/image");
  for (const NetworkOps* n : {&network, &after})
    std::printf("%-7s %12zu %13s  %s\n", n == &network ? "before" : "after", parameter_count(*n),
                with_unit(n->flops_per_image).c_str(), std::string(n->architecture).c_str());
  std::printf("        %11.1fx %12.1fx fewer\n", double(parameter_count(network)) / double(parameter_count(after)),
              network.flops_per_image / after.flops_per_image);
}

// The metadata of a folded or merged checkpoint: its architecture, its source and what was snapped.
std::map<std::string, std::string> fold_metadata(const CheckpointInfo& info, const FoldedNetwork& folded, float snap) {
  std::map<std::string, std::string> metadata{
      {"architecture", std::string(folded.network->architecture)},
      {"architecture_hash", hash_text(folded.network->architecture_hash)},
      {"fold.source", info.file.string()},
      {"fold.source_architecture", std::string(info.network->architecture)},
      {"fold.source_architecture_hash", hash_text(info.network->architecture_hash)},
      {"fold.snap", CLI::detail::to_string(snap)},
      {"fold.snapped", ""}};
  for (const auto& [name, value] : folded.snapped_alphas)
    metadata["fold.snapped"] += (metadata["fold.snapped"].empty() ? "" : ",") + name + "=" + (value == 0.0f ? "0" : "1");
  if (const auto config = info.contents.metadata.find("config"); config != info.contents.metadata.end())
    metadata["config"] = config->second;
  return metadata;
}

void write_folded(const std::filesystem::path& file, const FoldedNetwork& folded,
                  const std::map<std::string, std::string>& metadata) {
  const StoredParams& p = folded.params;
  write_safetensors(file, state_views(folded.network->tensors, folded.network->buffer_tensors, p.values, p.buffers, p.counters),
                    metadata);
}

// A directory of its own under the system's temporary directory, removed with everything in it.
class TemporaryDirectory {
 public:
  TemporaryDirectory() {
    std::string pattern = (std::filesystem::temp_directory_path() / "linconv-fold-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw Error(pattern + ": cannot create a temporary directory");
    path_ = pattern;
  }
  ~TemporaryDirectory() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TemporaryDirectory(const TemporaryDirectory&) = delete;
  TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The merged network after `epochs` epochs of training from its merged weights, with the source
// run's settings (Adam, lr, batch, reduction, --limit, seed: its config metadata, else the
// defaults) on the training set in `data`: its state, read from the run's checkpoint.
StoredParams fine_tuned(const CheckpointInfo& info, const FoldedNetwork& merged,
                        const std::map<std::string, std::string>& metadata, int epochs,
                        const std::filesystem::path& data, int threads, int test_count) {
  const TemporaryDirectory temporary;
  RunConfig config;
  if (const auto source = info.contents.metadata.find("config"); source != info.contents.metadata.end())
    config = run_config_of_checkpoint(source->second, info.file);
  config.data = data;
  config.epochs = epochs;
  config.steps.reset();
  config.threads = threads;
  config.test_limit = test_count;
  config.init = temporary.path() / "merged.safetensors";
  config.out = temporary.path() / "run";
  config.force = false;
  write_folded(config.init, merged, metadata);
  std::printf("fine-tuning %d epoch%s (%s, lr %g, batch %d, %s training images)...\n", epochs, epochs == 1 ? "" : "s",
              config.optimizer.c_str(), double(config.lr), config.batch,
              config.limit ? std::to_string(*config.limit).c_str() : "all");
  std::fflush(stdout);
  merged.network->train(config, load_training_data(data), RunOptions{});
  return merged.network->load(read_safetensors(config.out / "model.safetensors"), config.out / "model.safetensors");
}

// `fold --merge-convs`: the merged network's sizes and test accuracy, before and after
// `fine_tune` epochs of training; its checkpoint (the fine-tuned one, if any) written to `out`
// unless that is empty.
void merge_convs(const CheckpointInfo& info, const CheckpointOptions& options, const std::filesystem::path& out,
                 float snap, int fine_tune, const std::filesystem::path& data, const Dataset& test, int count) {
  const NetworkOps& network = *info.network;
  if (!network.merge_convs)
    throw Error(info.file.string() + ": --merge-convs: " + std::string(network.architecture) +
                " has no two stride-1 convolutions with an activation between them that can be the identity");
  FoldedNetwork merged = network.merge_convs(info.contents, info.file, snap);
  std::map<std::string, std::string> metadata = fold_metadata(info, merged, snap);
  metadata["fold.merged"] = merged.folded_convolutions;

  std::printf("%s: alphas within %g of 0 snapped to the identity\n", info.file.c_str(), double(snap));
  print_alphas(info.contents, network, merged);
  std::printf("merged %s into one convolution each (exact but for the outer ring where zero padding differs)\n",
              merged.folded_convolutions.c_str());
  print_sizes(network, *merged.network);

  const InputScale scale = info.input_scale(options.input_scale);
  const std::vector<float> original = predict(network, info.contents, info.file, test.images, count, scale, options.threads);
  const std::vector<float> snapped =
      predict(network, snapped_contents(info.contents, merged), info.file, test.images, count, scale, options.threads);
  const std::vector<float> after =
      predict(*merged.network, folded_contents(merged), info.file, test.images, count, scale, options.threads);
  const auto labels = std::span(test.labels).first(std::size_t(count));
  const int classes = network.output_shape.size();
  std::printf("test set, %d images: accuracy %.4f original, %.4f snapped, %.4f merged\n", count,
              accuracy(original, labels, classes), accuracy(snapped, labels, classes), accuracy(after, labels, classes));
  std::printf("largest |logit difference|: merged - snapped %.3g (largest |logit| %.3g)\n",
              largest_difference(after, snapped), largest_magnitude(snapped));
  if (fine_tune > 0) {
    merged.params = fine_tuned(info, merged, metadata, fine_tune, data, options.threads, count);
    metadata["fold.fine_tune_epochs"] = std::to_string(fine_tune);
    const std::vector<float> tuned =
        predict(*merged.network, folded_contents(merged), info.file, test.images, count, scale, options.threads);
    std::printf("after %d epoch%s of fine-tuning: accuracy %.4f merged (%.4f before)\n", fine_tune,
                fine_tune == 1 ? "" : "s", accuracy(tuned, labels, classes), accuracy(after, labels, classes));
  }
  if (out.empty()) {
    std::printf("not written (no --out)\n");
    return;
  }
  write_folded(out, merged, metadata);
  std::printf("wrote %s\n", out.c_str());
}

}  // namespace

std::string with_unit(double value) {
  char text[32];
  if (value >= 1e6)
    std::snprintf(text, sizeof text, "%.1f M", value / 1e6);
  else if (value >= 1e3)
    std::snprintf(text, sizeof text, "%.1f k", value / 1e3);
  else
    std::snprintf(text, sizeof text, "%.0f", value);
  return text;
}

SafetensorsFile folded_contents(const FoldedNetwork& folded) {
  const StoredParams& p = folded.params;
  SafetensorsFile contents;
  for (const TensorView& view :
       state_views(folded.network->tensors, folded.network->buffer_tensors, p.values, p.buffers, p.counters))
    contents.tensors.push_back({view.name, view.shape, {view.values.begin(), view.values.end()}, view.dtype,
                                {view.integers.begin(), view.integers.end()}});
  return contents;
}

void add_fold_command(CLI::App& app, const NetworkList& networks) {
  auto options = std::make_shared<CheckpointOptions>();
  auto out = std::make_shared<std::filesystem::path>();
  auto snap = std::make_shared<float>(1e-3f);
  auto data = std::make_shared<std::filesystem::path>(default_data_dir());
  auto merge = std::make_shared<bool>(false);
  auto fine_tune = std::make_shared<int>(0);
  CLI::App* cmd = app.add_subcommand(
      "fold", "Snap alphas near 0 or 1 to the identity or ReLU and fold the linear layers behind the last "
              "non-linearity into one dense layer; write the smaller network's checkpoint. With --merge-convs, "
              "merge consecutive convolutions with the identity between them instead");
  options->add_to(cmd, networks);
  cmd->add_option("--out", *out,
                  "Checkpoint of the folded network to write (.safetensors); required unless --merge-convs");
  cmd->add_flag("--merge-convs", *merge,
                "Alphas within --snap of 0 become the identity, the others stay (a linear network has none): merge "
                "each two stride-1 convolutions with the identity between them into one, kernel K1 + K2 - 1, padding "
                "P1 + P2 (exact but for the outer ring where zero padding differs); report the merged network's test "
                "accuracy; write it only with --out");
  cmd->add_option("--fine-tune", *fine_tune,
                  "With --merge-convs: train the merged network this many epochs (Adam and the source run's settings: "
                  "lr, batch, reduction, --limit, seed) and report its test accuracy again; 0: none")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--snap", *snap, "Alphas within this of 0 become the identity, within this of 1 ReLU")
      ->check(finite_float(Bound::at_least, 0))
      ->capture_default_str();
  cmd->add_option("--data", *data, "FashionMNIST directory (the test set the logits are compared on)")
      ->capture_default_str();
  cmd->callback([options, out, snap, data, merge, fine_tune, &networks] {
    if (*snap >= 0.5f)
      throw UsageError("--snap " + CLI::detail::to_string(*snap) +
                       ": must be less than 0.5, or an alpha could be within it of both 0 and 1");
    if (out->empty() && !*merge) throw UsageError("--out: required (the folded network's checkpoint) unless --merge-convs");
    if (*fine_tune > 0 && !*merge) throw UsageError("--fine-tune: only with --merge-convs");
    if (std::error_code ec; std::filesystem::equivalent(*out, options->checkpoint, ec))
      throw UsageError("--out " + out->string() + ": is the checkpoint to fold; write the folded network elsewhere");
    const CheckpointInfo info = read_checkpoint_info(networks, options->checkpoint, options->net, options->activation);
    const NetworkOps& network = *info.network;
    if (!network.fold) throw Error(info.file.string() + ": already " + folded_network_text(network));
    const Dataset test = load_fashion_mnist(*data, Split::test);
    const int count = options->count(test.size(), "test images");
    if (*merge) return merge_convs(info, *options, *out, *snap, *fine_tune, *data, test, count);

    const FoldedNetwork folded = network.fold(info.contents, info.file, *snap);
    std::map<std::string, std::string> metadata = fold_metadata(info, folded, *snap);
    metadata["fold.layers"] = "";
    metadata["fold.convolutions"] = folded.folded_convolutions;
    for (const std::string& layer : folded.folded_layers)
      metadata["fold.layers"] += (metadata["fold.layers"].empty() ? "" : ",") + layer;
    write_folded(*out, folded, metadata);

    std::printf("%s: alphas within %g of 0 or 1 snapped\n", info.file.c_str(), double(*snap));
    print_alphas(info.contents, network, folded);
    std::printf("%s\n", folded_text(folded).c_str());
    print_sizes(network, *folded.network);

    const InputScale scale = info.input_scale(options->input_scale);
    const std::vector<float> original = predict(network, info.contents, info.file, test.images, count, scale, options->threads);
    const std::vector<float> snapped =
        predict(network, snapped_contents(info.contents, folded), info.file, test.images, count, scale, options->threads);
    const std::vector<float> after =
        predict(*folded.network, read_safetensors(*out), *out, test.images, count, scale, options->threads);
    const auto labels = std::span(test.labels).first(std::size_t(count));
    const int classes = network.output_shape.size();
    std::printf("test set, %d images: accuracy %.4f original, %.4f snapped, %.4f folded\n", count,
                accuracy(original, labels, classes), accuracy(snapped, labels, classes), accuracy(after, labels, classes));
    std::printf("largest |logit difference|: folded - snapped %.3g, folded - original %.3g (largest |logit| %.3g)\n",
                largest_difference(after, snapped), largest_difference(after, original),
                largest_magnitude(original));
    std::printf("wrote %s\n", out->c_str());
  });
}

}  // namespace linconv::cli
