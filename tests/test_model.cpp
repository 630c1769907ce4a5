// Model<Net>, the inference API: its logits against PyTorch's (the golden fixtures) and against
// the engine's general path, alphas of 0 and 1, several threads at once, the batch call, the
// input scale a checkpoint records, and checkpoints it must refuse.
#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <thread>
#include <vector>

#include "linconv/linconv.hpp"
#include "support/files.hpp"

namespace {

using namespace linconv;
namespace fs = std::filesystem;
using linconv::testing::TempDir;
using Net = FashionNet;
using Image = Model<Net>::Image;
using Logits = Model<Net>::Logits;
constexpr int image_size = Net::input_shape.size();

fs::path fixture(const std::string& name) { return fs::path(LINCONV_TEST_DIR) / "golden" / "fixtures" / name; }

// The golden fixtures' initial weights with every alpha set to `alphas[k]`.
Params<Net> golden_params(std::array<float, 3> alphas) {
  const SafetensorsFile common = read_safetensors(fixture("common.safetensors"));
  Params<Net> params;
  int next_alpha = 0;
  for (const NetTensor& t : Net::tensors) {
    if (t.tensor.suffix == "alpha") {
      params.tensor(t)[0] = alphas[next_alpha++];
      continue;
    }
    const Tensor* found = common.find(t.name());
    REQUIRE(found != nullptr);
    std::copy(found->values.begin(), found->values.end(), params.tensor(t).begin());
  }
  return params;
}

std::vector<float> golden_images() { return read_safetensors(fixture("common.safetensors")).find("input.images")->values; }

Image image(const std::vector<float>& images, int i) {
  return Image(images.data() + std::size_t(i) * image_size, image_size);
}

// Logits of every image through the engine's general path (ReLUAlpha's formula, one image at a
// time, as Model runs them), the reference the specialised activations must reproduce. With
// Fusion::off each layer runs on its own: no activation applied inside a convolution.
template <Fusion F = Fusion::on>
std::vector<float> engine_logits(const Params<Net>& params, const std::vector<float>& images) {
  const int n = int(images.size() / image_size);
  Workspace<Net> ws(1, 1);
  std::vector<float> logits;
  for (int i = 0; i < n; ++i) {
    std::copy_n(images.data() + std::size_t(i) * image_size, image_size, ws.activation(0, 0));
    forward<Net, F>(params, ws, Slice{0, 1, 0});
    logits.insert(logits.end(), ws.activation(Net::layer_count, 0), ws.activation(Net::layer_count, 0) + 10);
  }
  return logits;
}

// Every activation of the network (the outputs of layers 1 to 5) and the logits, for all the
// images in one slice of a workspace.
template <Fusion F>
std::vector<float> batch_activations(const Params<Net>& params, const std::vector<float>& images) {
  const int n = int(images.size() / image_size);
  Workspace<Net> ws(n, 1);
  std::copy(images.begin(), images.end(), ws.activation(0, 0));
  forward<Net, F>(params, ws, Slice{0, n, 0});
  std::vector<float> out;
  for (const std::size_t layer : {std::size_t{2}, std::size_t{4}, std::size_t{6}, Net::layer_count})
    out.insert(out.end(), ws.activation(layer, 0), ws.activation(layer, 0) + std::size_t(n) * Net::shapes[layer].size());
  return out;
}

std::vector<float> model_logits(const Model<Net>& model, const std::vector<float>& images) {
  std::vector<float> logits;
  for (std::size_t i = 0; i < images.size() / image_size; ++i) {
    const Logits one = model.predict(image(images, int(i)));
    logits.insert(logits.end(), one.begin(), one.end());
  }
  return logits;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// `n` images of uniform pixels in [0, 1).
std::vector<float> random_images(int n, std::uint64_t seed) {
  std::vector<float> images(std::size_t(n) * image_size);
  Rng rng(seed);
  for (float& v : images) v = rng.uniform(0.0f, 1.0f);
  return images;
}

}  // namespace

TEST_CASE("model: logits equal PyTorch's for ReLU_alpha, alpha 1 (ReLU) and alpha 0 (identity)", "[model]") {
  const std::vector<float> images = golden_images();
  const auto [name, alphas] = GENERATE(table<std::string, std::array<float, 3>>({
      {"alpha_mean", {0.3f, 1.2f, -0.4f}},  // the fixture's alphas (tests/golden/README.md)
      {"relu_mean", {1.0f, 1.0f, 1.0f}},
      {"linear_mean", {0.0f, 0.0f, 0.0f}},
  }));
  INFO(name);
  const SafetensorsFile expected = read_safetensors(fixture(name + ".safetensors"));
  const Tensor& torch = *expected.find("expected.logits");
  const Model<Net> model(golden_params(alphas));
  const std::vector<float> ours = model_logits(model, images);
  REQUIRE(ours.size() == torch.values.size());
  float largest = 0.0f;
  for (float v : torch.values) largest = std::max(largest, std::abs(v));
  for (std::size_t i = 0; i < ours.size(); ++i) {
    INFO("logit " << i);
    CHECK(std::abs(ours[i] - torch.values[i]) <= 1e-5f * largest);  // as the golden tests allow
  }
}

TEST_CASE("model: alphas of exactly 0 and 1 give the general path's logits bit for bit", "[model]") {
  const std::vector<float> images = random_images(6, 3);
  for (const std::array<float, 3> alphas : {std::array{1.0f, 1.0f, 1.0f}, std::array{0.0f, 0.0f, 0.0f},
                                            std::array{1.0f, 0.0f, 0.25f}, std::array{0.0f, 1.0f, 1.0f}}) {
    INFO("alphas " << alphas[0] << ", " << alphas[1] << ", " << alphas[2]);
    Params<Net> params = init_like_pytorch<Net>(5);
    int k = 0;
    for (const NetTensor& t : alpha_tensors<Net>()) params.tensor(t)[0] = alphas[k++];
    const std::vector<float> general = engine_logits(params, images);
    CHECK(same_bits(model_logits(Model<Net>(params), images), general));
  }
}

TEST_CASE("model: ReLU_alpha applied in the convolutions' stores gives the unfused layers' results bit for bit",
          "[model]") {
  // For one image without a backward pass (engine_logits, Model) Fusion::on applies each act's
  // slope to the register blocks as the kernels store them (LeakySlope); for a batch
  // (batch_activations) it runs the activation over each image's stored output; Fusion::off runs
  // every layer on its own. Slopes of every sign, on the dispatched instruction set (scripts/test
  // runs this under each one).
  const std::vector<float> images = random_images(5, 11);
  for (const std::array<float, 3> alphas : {std::array{0.3f, 0.7f, 0.5f}, std::array{1.5f, -0.25f, 2e-4f}}) {
    INFO("alphas " << alphas[0] << ", " << alphas[1] << ", " << alphas[2]);
    Params<Net> params = init_like_pytorch<Net>(9);
    int k = 0;
    for (const NetTensor& t : alpha_tensors<Net>()) params.tensor(t)[0] = alphas[k++];
    const std::vector<float> unfused = batch_activations<Fusion::off>(params, images);
    const std::vector<float> fused = batch_activations<Fusion::on>(params, images);
    CHECK(std::ranges::any_of(unfused, [](float v) { return v < 0.0f; }));  // the slopes matter
    CHECK(same_bits(fused, unfused));
    CHECK(same_bits(engine_logits<Fusion::on>(params, images), engine_logits<Fusion::off>(params, images)));
    CHECK(same_bits(model_logits(Model<Net>(params), images), engine_logits<Fusion::off>(params, images)));
  }
}

TEST_CASE("model: all alphas 1 classify as the ReLU network with the same weights", "[model]") {
  using ReluNet = FashionNetWith<ReLU>;
  const std::vector<float> images = random_images(4, 4);
  const Params<Net> params = golden_params({1.0f, 1.0f, 1.0f});
  Params<ReluNet> relu_params;
  for (const NetTensor& t : ReluNet::tensors) {
    const NetTensor* same = std::find_if(Net::tensors.begin(), Net::tensors.end(),
                                         [&](const NetTensor& u) { return u.name() == t.name(); });
    std::ranges::copy(params.tensor(*same), relu_params.tensor(t).begin());
  }
  const Model<ReluNet> relu(std::move(relu_params));
  const Model<Net> alpha(params);
  for (int i = 0; i < 4; ++i) {
    const Logits a = alpha.predict(image(images, i)), r = relu.predict(image(images, i));
    CHECK(std::memcmp(a.data(), r.data(), sizeof a) == 0);
  }
}

TEST_CASE("model: several threads at once give the single-thread logits", "[model]") {
  constexpr int threads = 4, images_per_thread = 12, rounds = 3;
  const std::vector<float> images = random_images(threads * images_per_thread, 6);
  const Model<Net> model(init_like_pytorch<Net>(7));
  const std::vector<float> expected = model_logits(model, images);
  std::vector<std::vector<float>> got(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      // Every thread classifies every image, starting at a different one, several times over.
      std::vector<float>& mine = got[t];
      mine.assign(expected.size(), 0.0f);
      for (int round = 0; round < rounds; ++round)
        for (int j = 0; j < threads * images_per_thread; ++j) {
          const int i = (j + t * images_per_thread) % (threads * images_per_thread);
          const Logits one = model.predict(image(images, i));
          std::copy(one.begin(), one.end(), mine.begin() + std::ptrdiff_t(i) * 10);
        }
    });
  for (std::thread& t : pool) t.join();
  for (int t = 0; t < threads; ++t) {
    INFO("thread " << t);
    CHECK(same_bits(got[t], expected));
  }
}

TEST_CASE("model: predict_batch and classify agree with predict", "[model]") {
  const std::vector<float> images = random_images(5, 8);
  const Model<Net> model(init_like_pytorch<Net>(9));
  std::vector<float> batch(5 * 10);
  model.predict_batch(images, batch);
  CHECK(same_bits(batch, model_logits(model, images)));
  for (int i = 0; i < 5; ++i) {
    const auto row = batch.begin() + i * 10;
    CHECK(model.classify(image(images, i)) == int(std::max_element(row, row + 10) - row));
  }
  std::vector<float> too_few(4 * 10);
  CHECK_THROWS_WITH(model.predict_batch(images, too_few), Catch::Contains("do not make whole images"));
}

TEST_CASE("model: load reads the weights and the input scale of a checkpoint", "[model]") {
  const TempDir dir;
  const Params<Net> params = init_like_pytorch<Net>(11);
  save_checkpoint(dir / "raw.safetensors", params, R"({"input_scale": "raw", "lambda": 0.5})");
  save_checkpoint(dir / "unit.safetensors", params, R"({"input_scale": "unit"})");
  save_checkpoint(dir / "none.safetensors", params, "{}");
  const Model<Net> raw = Model<Net>::load(dir / "raw.safetensors");
  CHECK(raw.input_scale() == InputScale::raw);
  CHECK(std::ranges::equal(raw.params().values(), params.values()));
  CHECK(Model<Net>::load(dir / "unit.safetensors").input_scale() == InputScale::unit);
  CHECK(Model<Net>::load(dir / "none.safetensors").input_scale() == InputScale::unit);

  save_checkpoint(dir / "bad.safetensors", params, R"({"input_scale": "half"})");
  CHECK_THROWS_WITH(Model<Net>::load(dir / "bad.safetensors"),
                    Catch::Contains("bad.safetensors") && Catch::Contains("input_scale \"half\""));
}

TEST_CASE("model: a checkpoint of another architecture is refused, naming both", "[model]") {
  using Other = Sequential<Input<1, 28, 28>, Conv<4, 3, 1, 1>, ReLUAlpha, Flatten, Dense<10>>;
  const TempDir dir;
  save_checkpoint(dir / "other.safetensors", init_like_pytorch<Other>(1), "{}");
  CHECK_THROWS_WITH(Model<Net>::load(dir / "other.safetensors"),
                    Catch::Contains("other.safetensors: made for another network (" +
                                    std::string(Other::architecture.view()) + "), expected " +
                                    std::string(Net::architecture.view())));

  // Without architecture metadata (a PyTorch state_dict) the first tensor of another shape is named.
  const Params<Other> other = init_like_pytorch<Other>(1);
  write_safetensors(dir / "state_dict.safetensors", tensor_views<Other>(other.values()), {});
  CHECK_THROWS_WITH(Model<Net>::load(dir / "state_dict.safetensors"),
                    Catch::Contains("tensor conv1.weight has shape [4,1,3,3], expected [8,1,5,5]"));
}

TEST_CASE("model: a checkpoint with a negative running variance or batch count is refused", "[model]") {
  using BnNet = FashionNetBnPool;
  const TempDir dir;
  const NetTensor* var = nullptr;
  const NetTensor* count = nullptr;
  for (const NetTensor& t : BnNet::buffer_tensors) {
    if (!var && t.name().ends_with("running_var")) var = &t;
    if (!count && t.name().ends_with("num_batches_tracked")) count = &t;
  }
  REQUIRE((var && count));

  Params<BnNet> params = init_like_pytorch<BnNet>(1);
  save_checkpoint(dir / "good.safetensors", params, "{}");
  CHECK_NOTHROW(Model<BnNet>::load(dir / "good.safetensors"));

  params.tensor(*var)[2] = -0.5f;  // from a broken converter or a hand edit: NaN at the first pass
  save_checkpoint(dir / "variance.safetensors", params, "{}");
  CHECK_THROWS_WITH(Model<BnNet>::load(dir / "variance.safetensors"),
                    Catch::Contains("variance.safetensors: tensor " + var->name() +
                                    " holds a negative value at index 2 (-0.500000)"));

  params.tensor(*var)[2] = 1.0f;
  params.counter(*count)[0] = -3;
  save_checkpoint(dir / "count.safetensors", params, "{}");
  CHECK_THROWS_WITH(Model<BnNet>::load(dir / "count.safetensors"),
                    Catch::Contains("tensor " + count->name() + " holds a negative value at index 0 (-3)"));
}
