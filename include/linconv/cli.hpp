#pragma once
// The `linconv` command-line tool as a library: a complete trainer for any list of networks.
//
//   #include <linconv/cli.hpp>
//   using namespace linconv;
//   using LeNet = Sequential<Input<1, 28, 28>, Conv<6, 5, 1, 2>, ReLU, MaxPool2d<2>, Conv<16, 5>, ReLU,
//                            MaxPool2d<2>, Flatten, Dense<120>, ReLU, Dense<84>, ReLU, Dense<10>>;
//   int main(int argc, char** argv) { return cli::main<cli::Net<"lenet", LeNet>>(argc, argv); }
//
// gives a program with the commands train, eval, predict, grad, export, features and fold, each
// with its --help; `--net` chooses among the listed networks, the first by default. A network entry
// may name an activation variant, cli::Net<"fashion", FashionNet, "alpha">: entries with the same
// name are the variants of one network, chosen with --activation (the first by default).
// Link linconv::command_line (find_package(linconv)).
//
// This header compiles, for each listed network, what the commands do with it (NetworkOps:
// train, load, inference, gradients, feature maps, fold; and every folded form of the
// network, one per snap pattern, for its folded checkpoints); the commands themselves (flags,
// help, messages) are compiled once in the command_line library. It includes no CLI11 or JSON.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "linconv/checkpoint.hpp"
#include "linconv/data.hpp"
#include "linconv/feature_maps.hpp"
#include "linconv/fold.hpp"
#include "linconv/model.hpp"
#include "linconv/training_run.hpp"

namespace CLI {
class App;
}

namespace linconv::cli {

// A network the program trains: its --net name, its type and its --activation variant name.
template <FixedString Name, class Type, FixedString Activation = "">
struct Net {
  static constexpr std::string_view name = Name;
  static constexpr std::string_view activation = Activation;
  using type = Type;
};

// A network's state as a checkpoint holds it, in the layout of its parameter, buffer and counter
// arenas (Net::tensors and Net::buffer_tensors give the offsets).
struct StoredParams {
  std::vector<float> values, buffers;
  std::vector<std::int64_t> counters;
};

struct Gradients {
  StepStats stats;
  std::vector<float> values;  // laid out as the parameters
};

struct NetworkOps;

// A network's state, loaded and ready to give the logits of batches of scaled images (evaluation
// mode): the one forward pass compiled for each network and each folded form, which predict,
// evaluate (below) and the study's latencies run.
class Inference {
 public:
  virtual ~Inference() = default;
  // logits [n, classes] of images [n, input size], n at most the capacity it was made for.
  virtual void logits(const float* images, int n, float* logits) = 0;
};

// A checkpoint folded (fold.hpp): its alphas snapped and its linear suffix folded into one Dense,
// or (fold --merge-convs) its alphas snapped to the identity and its convolutions merged.
struct FoldedNetwork {
  const NetworkOps* network = nullptr;  // the folded network, one of the source's `folded` or `merged`
  StoredParams params;                  // its state
  std::vector<std::pair<std::string, float>> snapped_alphas;  // "act1.alpha" -> 0 (identity) or 1 (ReLU)
  std::vector<std::string> folded_layers;                     // the source's layers in the last Dense
  std::string folded_convolutions;  // "conv3", "conv2+conv3", "all" or "none"; merged: "conv1+conv2+conv3"
};

// One listed network: what it is and what the commands do with it. Every function reads the
// network's parameters from a checkpoint (`contents`, read from `file`, which errors name).
struct NetworkOps {
  std::string_view net, activation;  // --net, --activation ("" when the network has no variants)
  std::string_view architecture;     // Net::architecture, as checkpoints record it
  std::uint64_t architecture_hash = 0;
  Shape input_shape, output_shape;
  std::span<const NetTensor> tensors, buffer_tensors;
  std::size_t alpha_count = 0;  // learnable alpha tensors; none: --lambda and --alpha-init do nothing
  double flops_per_image = 0;   // of one image's forward pass (fold.hpp)
  // Every form `fold` can make of this network, one per snap pattern, which checkpoints of folded
  // networks are found among by their architecture. A folded network's own entry has none, and
  // no `train`, `gradients` or `fold`: it is for inference (eval, predict, export, features).
  std::span<const NetworkOps> folded;
  // The forms `fold --merge-convs` makes (fold.hpp, MergedConvs), one per merge pattern of the
  // alphas that merges convolutions. Like a folded form, for inference; its `train` fine-tunes it.
  std::span<const NetworkOps> merged;

  void (*train)(const RunConfig& config, const TrainingData& data, const RunOptions& options) = nullptr;
  StoredParams (*load)(const SafetensorsFile& contents, const std::filesystem::path& file) = nullptr;
  // The checkpoint's state, for batches of up to `capacity` images on `threads` threads.
  std::unique_ptr<Inference> (*inference)(const SafetensorsFile& contents, const std::filesystem::path& file,
                                          int capacity, int threads) = nullptr;
  // The gradient of the training loss on the first `count` images as one batch (training mode).
  Gradients (*gradients)(const SafetensorsFile& contents, const std::filesystem::path& file, const Dataset& data,
                         int count, InputScale scale, const TrainOptions& options, int threads) = nullptr;
  FeatureMaps (*feature_maps)(const SafetensorsFile& contents, const std::filesystem::path& file,
                              std::span<const float> image) = nullptr;
  // Alphas within `eps` of 0 or 1 snapped to the identity or ReLU, then the layers behind the last
  // non-linearity folded into one Dense.
  FoldedNetwork (*fold)(const SafetensorsFile& contents, const std::filesystem::path& file, float eps) = nullptr;
  // Alphas within `eps` of 0 snapped to the identity, the others kept, then each chain of stride-1
  // convolutions with the identity between them merged into one (an Error when there is none).
  FoldedNetwork (*merge_convs)(const SafetensorsFile& contents, const std::filesystem::path& file, float eps) = nullptr;
};

namespace detail {

template <class N>
StoredParams stored(const Params<N>& p) {
  return {{p.values().begin(), p.values().end()},
          {p.buffers().begin(), p.buffers().end()},
          {p.counters().begin(), p.counters().end()}};
}

template <class N>
StoredParams load(const SafetensorsFile& contents, const std::filesystem::path& file) {
  return stored(params_from_checkpoint<N>(contents, file));
}

template <class N>
class InferenceOf final : public Inference {
 public:
  InferenceOf(Params<N> params, int capacity, int threads)
      : params_(std::move(params)), pool_(threads), workspace_(capacity, pool_.size()), unused_labels_(capacity, 0) {}
  void logits(const float* images, int n, float* logits) override {
    constexpr int classes = N::output_shape.size();
    linconv::evaluate(params_, Batch<N::input_shape>{images, n}, unused_labels_.data(), workspace_, pool_);
    for (int i = 0; i < n; ++i)
      std::copy_n(workspace_.activation(N::layer_count, i), classes, logits + std::size_t(i) * classes);
  }

 private:
  Params<N> params_;
  ThreadPool pool_;
  Workspace<N> workspace_;
  std::vector<std::uint8_t> unused_labels_;
};

template <class N>
std::unique_ptr<Inference> inference(const SafetensorsFile& contents, const std::filesystem::path& file,
                                     int capacity, int threads) {
  return std::make_unique<InferenceOf<N>>(params_from_checkpoint<N>(contents, file), capacity, threads);
}

template <class N>
Gradients gradients(const SafetensorsFile& contents, const std::filesystem::path& file, const Dataset& data,
                    int count, InputScale scale, const TrainOptions& options, int threads) {
  check_dataset_fits<N>(data, "the training set");
  Params<N> params = params_from_checkpoint<N>(contents, file);
  ThreadPool pool(threads);
  Trainer<N> trainer(params, options, pool, count);
  std::vector<float> images(std::size_t(count) * N::input_shape.size());
  std::vector<std::uint8_t> labels(count);
  std::vector<std::uint32_t> order(count);
  std::iota(order.begin(), order.end(), 0u);
  gather_batch(data, order, scale, images.data(), labels.data());
  const StepStats stats = trainer.compute_gradients(Batch<N::input_shape>{images.data(), count}, labels.data());
  return {stats, {trainer.gradients().begin(), trainer.gradients().end()}};
}

template <class N>
FeatureMaps maps(const SafetensorsFile& contents, const std::filesystem::path& file, std::span<const float> image) {
  return linconv::feature_maps(params_from_checkpoint<N>(contents, file), image);
}

// The operations of network N that do not train it, under the names of Entry.
template <class Entry, class N>
NetworkOps inference_ops() {
  return {.net = Entry::name,
          .activation = Entry::activation,
          .architecture = N::architecture.view(),
          .architecture_hash = N::architecture_hash,
          .input_shape = N::input_shape,
          .output_shape = N::output_shape,
          .tensors = N::tensors,
          .buffer_tensors = N::buffer_tensors,
          .alpha_count = alpha_tensors<N>().size(),
          .flops_per_image = linconv::flops_per_image<N>(),
          .folded = {},
          .merged = {},
          .train = nullptr,
          .load = detail::load<N>,
          .inference = detail::inference<N>,
          .gradients = nullptr,
          .feature_maps = detail::maps<N>,
          .fold = nullptr,
          .merge_convs = nullptr};
}

}  // namespace detail

// Every form `fold` can make of Entry's network, one per snap pattern (3^alphas of them), and
// the fold that picks one. They are most of what a network with alphas compiles: a program may
// compile them in a file of their own, which a parallel build compiles beside the network's,
// with `template struct linconv::cli::FoldedForms<Entry>;` there and
// `extern template struct linconv::cli::FoldedForms<Entry>;` where network_ops<Entry> is.
template <class Entry>
struct FoldedForms {
  // The folded networks' operations, indexed by snap_pattern_index.
  static std::span<const NetworkOps> all();
  static FoldedNetwork fold(const SafetensorsFile& contents, const std::filesystem::path& file, float eps);
  // The operations of MergedConvs<N, P> for each merge pattern P that merges something, and the
  // merge; only for networks that have convolutions to merge.
  static std::span<const NetworkOps> merged();
  static FoldedNetwork merge_convs(const SafetensorsFile& contents, const std::filesystem::path& file, float eps);
};

// (Defined outside the class, so not inline: an extern template then keeps them out of a file.)
template <class Entry>
std::span<const NetworkOps> FoldedForms<Entry>::all() {
  using N = typename Entry::type;
  static const auto ops = []<std::size_t... P>(std::index_sequence<P...>) {
    return std::array<NetworkOps, sizeof...(P)>{detail::inference_ops<Entry, Folded<N, snap_pattern_number<N>(P)>>()...};
  }(std::make_index_sequence<snap_pattern_count<N>>{});
  return ops;
}

template <class Entry>
FoldedNetwork FoldedForms<Entry>::fold(const SafetensorsFile& contents, const std::filesystem::path& file, float eps) {
  using N = typename Entry::type;
  const Params<N> params = params_from_checkpoint<N>(contents, file);
  const SnapPattern<N> pattern = snap_pattern(params, eps);
  return with_snap_pattern<N>(pattern, [&]<SnapPattern<N> P>() {
    return FoldedNetwork{.network = &all()[snap_pattern_index<N>(P)],
                         .params = detail::stored(linconv::fold<N, P>(params)),
                         .snapped_alphas = snapped_alphas<N>(P),
                         .folded_layers = folded_layers<N, P>(),
                         .folded_convolutions = folded_convolutions<N, P>()};
  });
}

namespace detail {

// MergedConvs<N, P>'s operations, fine-tuning included, appended to `forms` when P merges
// convolutions.
template <class Entry, SnapPattern<typename Entry::type> P>
void add_merged_form(std::vector<NetworkOps>& forms) {
  using M = MergedConvs<typename Entry::type, P>;
  if constexpr (merged_conv_count<typename Entry::type, P> > 0) {
    NetworkOps form = inference_ops<Entry, M>();
    form.train = [](const RunConfig& c, const TrainingData& d, const RunOptions& o) { train_run<M>(c, d, o); };
    forms.push_back(form);
  }
}

}  // namespace detail

template <class Entry>
std::span<const NetworkOps> FoldedForms<Entry>::merged() {
  using N = typename Entry::type;
  static const std::vector<NetworkOps> forms = []<std::size_t... P>(std::index_sequence<P...>) {
    std::vector<NetworkOps> all;
    (detail::add_merged_form<Entry, merge_pattern_number<N>(P)>(all), ...);
    return all;
  }(std::make_index_sequence<merge_pattern_count<N>>{});
  return forms;
}

template <class Entry>
FoldedNetwork FoldedForms<Entry>::merge_convs(const SafetensorsFile& contents, const std::filesystem::path& file,
                                              float eps) {
  using N = typename Entry::type;
  const Params<N> params = params_from_checkpoint<N>(contents, file);
  auto text = [](float value) {
    char s[32];
    std::snprintf(s, sizeof s, "%g", double(value));
    return std::string(s);
  };
  std::string alphas;
  for (const NetTensor& t : alpha_tensors<N>()) {
    if (t.tensor.count() != 1)
      throw Error(file.string() + ": " + t.name() + " has one alpha a channel; --merge-convs snaps one alpha a layer");
    alphas += (alphas.empty() ? "" : ", ") + t.name() + " " + text(params.values()[t.offset]);
  }
  return with_merge_pattern<N>(merge_pattern(params, eps), [&]<SnapPattern<N> P>() -> FoldedNetwork {
    using M = MergedConvs<N, P>;
    if constexpr (merged_conv_count<N, P> == 0) {
      throw Error(file.string() + ": no alpha within --snap " + text(eps) +
                  " of 0 stands between two stride-1 convolutions (" + alphas + "): nothing to merge");
    } else {
      const auto form = std::ranges::find(merged(), M::architecture.view(), &NetworkOps::architecture);
      std::string chains;
      for (const std::string& chain : merged_chains<N, P>()) chains += (chains.empty() ? "" : ",") + chain;
      return FoldedNetwork{.network = &*form,
                           .params = detail::stored(linconv::merge_convs<N, P>(params)),
                           .snapped_alphas = snapped_alphas<N>(P),
                           .folded_layers = {},
                           .folded_convolutions = chains};
    }
  });
}

// The NetworkOps of an entry cli::Net<Name, Type, Activation>.
template <class Entry>
NetworkOps network_ops() {
  using N = typename Entry::type;
  NetworkOps ops = detail::inference_ops<Entry, N>();
  ops.folded = FoldedForms<Entry>::all();
  ops.train = [](const RunConfig& c, const TrainingData& d, const RunOptions& o) { train_run<N>(c, d, o); };
  ops.gradients = detail::gradients<N>;
  ops.fold = FoldedForms<Entry>::fold;
  if constexpr (merged_conv_count<N> > 0) {
    ops.merged = FoldedForms<Entry>::merged();
    ops.merge_convs = FoldedForms<Entry>::merge_convs;
  }
  return ops;
}

// Logits [count, classes] of the first `count` images (of the network's input height and width),
// in batches of 100.
std::vector<float> predict(const NetworkOps& network, const SafetensorsFile& contents,
                           const std::filesystem::path& file, const IdxImages& images, int count, InputScale scale,
                           int threads);
// Mean cross-entropy and accuracy on the first `count` images, from their logits.
Evaluation evaluate(const NetworkOps& network, const SafetensorsFile& contents, const std::filesystem::path& file,
                    const Dataset& data, int count, InputScale scale, int threads);

class NetworkList;  // the networks as the commands see them (the command_line library)

// A command a program adds to those of run() (the linconv tool's sweep and report).
using AddCommand = void (*)(CLI::App& app, const NetworkList& networks);

// What a program says of itself in --help; empty texts are made from the network list.
struct Program {
  std::string_view description;      // the first lines of --help
  std::string_view net_help;         // train's --net
  std::string_view activation_help;  // train's --activation
  std::span<const AddCommand> commands;  // more commands
};

// Parses the command line and runs the command on `networks` (the first is the default --net).
// Errors are one line, "<program>: error: ...": exit status 2 for bad usage, 1 otherwise.
int run(std::span<const NetworkOps> networks, int argc, char** argv, const Program& program = {});

template <class... Entries>
int main(int argc, char** argv) {
  static_assert(sizeof...(Entries) > 0, "list at least one cli::Net<\"name\", Type>");
  const NetworkOps networks[] = {network_ops<Entries>()...};
  return run(networks, argc, argv);
}

}  // namespace linconv::cli
