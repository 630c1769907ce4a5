#pragma once
// Model<Net>: a trained network for inference only, the way to embed linconv in a program.
//
//   auto model = linconv::Model<linconv::FashionNet>::load("model.safetensors");
//   std::array<float, 10> logits = model.predict(image);   // image: std::span<const float, 784>
//
// load() checks the checkpoint against Net (names, shapes, architecture hash; checkpoint.hpp)
// and reads the input scale it was trained with. predict() is const and may run on several
// threads at once: each thread has its own buffers for one image (about 1 MB for FashionNet),
// allocated by its first call and freed when the thread ends. Later calls allocate nothing
// (tests/test_no_allocation.cpp counts).
// An alpha of exactly 1 runs as ReLU and one of exactly 0 as the identity, with the same logits
// as the general formula (which would only add a multiplication per element).
#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "linconv/checkpoint.hpp"
#include "linconv/data.hpp"
#include "linconv/engine.hpp"
#include "linconv/error.hpp"
#include "linconv/layers/activation.hpp"
#include "linconv/safetensors.hpp"

namespace linconv {

// The input scale a checkpoint was trained with: "input_scale" in its "config" metadata, unit when
// the file has no config (a PyTorch state_dict). Error naming `file` when the config is damaged.
InputScale checkpoint_input_scale(const SafetensorsFile& contents, const std::filesystem::path& file);

namespace detail {

// ReLUAlpha whose forward pass picks ReLU's for alpha == 1 and the identity's for alpha == 0.
// The values are those of ReLU_alpha: x * (1 - alpha) is x for alpha 0, and +-0 for alpha 1
// where ReLU gives +0, which no later sum or comparison tells apart. Same name and tensor as
// ReLUAlpha, so the network keeps its architecture string and parameter layout.
struct ReLUAlphaForInference {
  template <std::size_t Index, Shape In>
  struct bind : ReLUAlpha::bind<Index, In> {
    static void apply(const float* params, const float* x, float* y, int n) {
      if (params[0] == 1.0f) {
        ReLU::bind<Index, In>::apply(params, x, y, n);
      } else if (params[0] == 0.0f) {
        Identity::bind<Index, In>::apply(params, x, y, n);
      } else {
        ReLUAlpha::bind<Index, In>::apply(params, x, y, n);
      }
    }
    static void forward(const LayerTensors& t, Images<In> x, ImagesOut<In> y, const Context&) {
      apply(t.params, x.data, y.data, x.n);
    }
    // ReLUAlpha's slope where apply runs ReLUAlpha's formula; ReLU's and the identity's are
    // not that formula to the bit (ReLU gives +0 where it gives -0).
    static std::optional<float> leaky_slope(const float* params) {
      if (params[0] == 1.0f || params[0] == 0.0f) return std::nullopt;
      return ReLUAlpha::bind<Index, In>::leaky_slope(params);
    }
  };
};

template <class Spec>
struct for_inference {
  using type = Spec;
};
template <>
struct for_inference<ReLUAlpha> {
  using type = ReLUAlphaForInference;
};

// Net with every ReLUAlpha replaced by ReLUAlphaForInference.
template <class Net>
struct inference_net;
template <class InputSpec, class... Specs>
struct inference_net<Sequential<InputSpec, Specs...>> {
  using type = Sequential<InputSpec, typename for_inference<Specs>::type...>;
};

}  // namespace detail

template <class Net>
class Model {
 public:
  static constexpr int input_size = Net::input_shape.size();
  static constexpr int classes = Net::output_shape.size();
  using Image = std::span<const float, input_size>;
  using Logits = std::array<float, classes>;

  // The checkpoint in `file`, checked against Net; linconv::Error names the file and the first
  // mismatch (another architecture, a missing tensor, a tensor of another shape).
  static Model load(const std::filesystem::path& file) {
    const SafetensorsFile contents = read_safetensors(file);
    return Model(params_from_checkpoint<Net>(contents, file), checkpoint_input_scale(contents, file));
  }

  // Weights already in memory (`linconv export` headers use this).
  explicit Model(Params<Net> params, InputScale input_scale = InputScale::unit)
      : params_(std::move(params)), input_scale_(input_scale) {}

  // The logits of one image, scaled as input_scale() says.
  Logits predict(Image image) const {
    Workspace<Runner>& ws = thread_workspace();
    std::copy(image.begin(), image.end(), ws.activation(0, 0));
    forward<Runner>(params_, ws, Slice{0, 1, 0});
    Logits logits;
    std::copy_n(ws.activation(Runner::layer_count, 0), classes, logits.begin());
    return logits;
  }

  // The class of highest logit (the first of equal ones).
  int classify(Image image) const {
    const Logits logits = predict(image);
    return int(std::max_element(logits.begin(), logits.end()) - logits.begin());
  }

  // images [n, input_size] -> logits [n, classes], image by image: the same logits as predict().
  void predict_batch(std::span<const float> images, std::span<float> logits) const {
    const std::size_t n = images.size() / input_size;
    if (images.size() % input_size != 0 || logits.size() != n * classes)
      throw Error("Model::predict_batch: " + std::to_string(images.size()) + " input floats and " +
                  std::to_string(logits.size()) + " logits do not make whole images of " +
                  std::to_string(input_size) + " floats with " + std::to_string(classes) + " logits each");
    for (std::size_t i = 0; i < n; ++i) {
      const Logits one = predict(Image(images.subspan(i * input_size, input_size)));
      std::copy(one.begin(), one.end(), logits.begin() + std::ptrdiff_t(i * classes));
    }
  }

  // How the images given to predict() must be scaled: as the model was trained.
  InputScale input_scale() const { return input_scale_; }
  const Params<Net>& params() const { return params_; }

 private:
  using Runner = typename detail::inference_net<Net>::type;
  static_assert(Runner::architecture_hash == Net::architecture_hash && Runner::param_count == Net::param_count);

  static Workspace<Runner>& thread_workspace() {
    thread_local Workspace<Runner> workspace(1, 1);
    return workspace;
  }

  Params<Net> params_;
  InputScale input_scale_;
};

}  // namespace linconv
