// Folding (fold.hpp): the folded types computed from FashionNet for each snap pattern, and
// folded logits against the unfolded network's with the same alphas set exactly to 0 or 1, on
// the first 1000 images of FashionMNIST's test set.
//
// The bound: both sides compute the same affine map in float32 in different orders (the folded
// Dense sums F products of a precomputed W; the network sums conv by conv). Each logit is a sum
// of terms whose magnitudes add up to at most S = sum_i |W_oi x_i| + |b_o| (the absolute-value
// map), and float32 summation in either order is within a few times n * 2^-24 * S in theory but
// about sqrt(n) * 2^-24 * S in practice. We allow 2e-6 * S, about 34 ulps of S (measured: at
// most 5.2e-7 * S, for the network folded whole, whose W sums the most products that cancel):
// far below any real mistake (a wrong tap or sign changes logits by percents).
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>

#include "linconv/fold.hpp"
#include "linconv/linconv.hpp"

namespace {

using namespace linconv;
using Net = FashionNet;

constexpr SnapPattern<Net> pattern(Snap a, Snap b, Snap c) { return {a, b, c}; }
constexpr Snap K = Snap::keep, I = Snap::identity, R = Snap::relu;

// The first n test images of FashionMNIST, scaled to [0, 1] as the report's networks take them.
std::vector<float> test_images(int n) {
  const Dataset test = load_fashion_mnist(default_data_dir(), Split::test);
  std::vector<float> images(std::size_t(n) * 784);
  scale_pixels(std::span(test.images.pixels).first(images.size()), InputScale::unit, images.data());
  return images;
}

template <class N>
std::vector<float> logits_of(const Params<N>& params, const std::vector<float>& images, int n) {
  ThreadPool pool(1);
  Workspace<N> ws(n, 1);
  std::vector<std::uint8_t> labels(n, 0);
  evaluate(params, Batch<N::input_shape>{images.data(), n}, labels.data(), ws, pool);
  std::vector<float> logits;
  for (int row = 0; row < n; ++row) logits.insert(logits.end(), ws.activation(N::layer_count, row), ws.activation(N::layer_count, row) + 10);
  return logits;
}

}  // namespace

TEST_CASE("fold: the folded types of the report's network", "[fold]") {
  STATIC_REQUIRE(std::is_same_v<Folded<Net, pattern(K, K, K)>, Net>);
  STATIC_REQUIRE(std::is_same_v<Folded<Net, pattern(K, K, I)>,
                                Sequential<Input<1, 28, 28>, Conv<8, 5, 1, 2>, ReLUAlpha, Conv<16, 5, 1, 2>, ReLUAlpha,
                                           Flatten, Dense<10>>>);
  STATIC_REQUIRE(std::is_same_v<Folded<Net, pattern(R, I, I)>,
                                Sequential<Input<1, 28, 28>, Conv<8, 5, 1, 2>, ReLU, Flatten, Dense<10>>>);
  STATIC_REQUIRE(std::is_same_v<Folded<Net, pattern(I, I, I)>, Sequential<Input<1, 28, 28>, Flatten, Dense<10>>>);
  // An identity with a non-linearity behind it stays, as a fixed activation.
  STATIC_REQUIRE(std::is_same_v<Folded<Net, pattern(I, K, R)>,
                                Sequential<Input<1, 28, 28>, Conv<8, 5, 1, 2>, Identity, Conv<16, 5, 1, 2>, ReLUAlpha,
                                           Conv<32, 3, 1, 1>, ReLU, Flatten, Dense<10>>>);
  STATIC_REQUIRE(Folded<Net, pattern(I, I, I)>::param_count == 784 * 10 + 10);
  CHECK(folded_convolutions<Net, pattern(K, K, I)>() == "conv3");
  CHECK(folded_convolutions<Net, pattern(K, I, I)>() == "conv2+conv3");
  CHECK(folded_convolutions<Net, pattern(I, I, I)>() == "all");
  CHECK(folded_convolutions<Net, pattern(I, K, R)>() == "none");
  CHECK(folded_layers<Net, pattern(K, I, I)>() == std::vector<std::string>{"conv2", "act2", "conv3", "act3", "flatten1", "fc1"});
}

TEST_CASE("fold: a network that ends in a non-linearity is only snapped", "[fold]") {
  using Tail = Sequential<Input<1, 4, 4>, Flatten, Dense<3>, ReLUAlpha>;
  STATIC_REQUIRE(std::is_same_v<Folded<Tail, SnapPattern<Tail>{K}>, Tail>);
  STATIC_REQUIRE(std::is_same_v<Folded<Tail, SnapPattern<Tail>{R}>, Sequential<Input<1, 4, 4>, Flatten, Dense<3>, ReLU>>);
  STATIC_REQUIRE(std::is_same_v<Folded<Tail, SnapPattern<Tail>{I}>, Sequential<Input<1, 4, 4>, Flatten, Dense<3>>>);
  CHECK(folded_layers<Tail, SnapPattern<Tail>{R}>().empty());
}

TEST_CASE("fold: snap patterns from alphas, and the run-time choice of the compile-time type", "[fold]") {
  Params<Net> params = init_like_pytorch<Net>(1);
  const auto alphas = alpha_tensors<Net>();
  params.values()[alphas[0].offset] = 0.9995f;
  params.values()[alphas[1].offset] = -0.0004f;
  params.values()[alphas[2].offset] = 0.3f;
  CHECK(snap_pattern(params, 1e-3f) == pattern(R, I, K));
  CHECK(snap_pattern(params, 1e-4f) == pattern(K, K, K));
  const std::string architecture = with_snap_pattern<Net>(pattern(K, I, I), [&]<SnapPattern<Net> P>() {
    return std::string(Folded<Net, P>::architecture.view());
  });
  CHECK(architecture == "Input<1,28,28>,Conv<8,5,1,2>,ReLUAlpha,Flatten,Dense<10>");
}

TEST_CASE("fold: folded logits equal the snapped network's on the test set, for every suffix", "[fold]") {
  Params<Net> trained = init_like_pytorch<Net>(7, {.alpha = 0.4f});
  const int n = 1000;
  const std::vector<float> images = test_images(n);
  auto check = [&]<SnapPattern<Net> P>() {
    const Params<Net> reference = snapped(trained, P);
    const Params<Folded<Net, P>> folded = fold<Net, P>(reference);
    const std::vector<float> expected = logits_of(reference, images, n), got = logits_of(folded, images, n);
    // S per logit: the absolute-value map, |W| |x| + |b|, through the folded weights.
    using Out = Folded<Net, P>;
    const float* w = folded.values().data() + Out::param_offsets[Out::layer_count - 1];
    constexpr std::size_t F = Folding<Net, P>::suffix_input.size();
    INFO(Out::architecture.view());
    double worst = 0.0;
    Workspace<Out> ws(1, 1);
    for (int k = 0; k < n; ++k) {
      // The suffix's input for image k: the kept layers' output.
      std::copy_n(images.data() + std::size_t(k) * 784, 784, ws.activation(0, 0));
      forward<Out>(folded, ws, Slice{0, 1, 0});
      const float* x = ws.activation(Out::layer_count - 1, 0);
      for (std::size_t o = 0; o < 10; ++o) {
        double s = 0.0;
        for (std::size_t i = 0; i < F; ++i) s += std::abs(double(w[o * F + i]) * x[i]);
        s += std::abs(double(w[10 * F + o]));
        const double d = std::abs(double(got[std::size_t(k) * 10 + o]) - expected[std::size_t(k) * 10 + o]);
        worst = std::max(worst, d / s);
      }
    }
    INFO("worst |folded - unfolded| / S = " << worst);
    CHECK(worst <= 2e-6);
  };
  check.operator()<pattern(K, K, I)>();
  check.operator()<pattern(R, I, I)>();
  check.operator()<pattern(K, I, I)>();
  check.operator()<pattern(I, I, I)>();
  check.operator()<pattern(I, K, R)>();
}

TEST_CASE("fold: Model loads a folded checkpoint through the type computed from FashionNet", "[fold]") {
  constexpr SnapPattern<Net> all = pattern(I, I, I);
  const Params<Folded<Net, all>> folded = fold<Net, all>(snapped(init_like_pytorch<Net>(2), all));
  const std::filesystem::path file = std::filesystem::temp_directory_path() / "linconv_test_folded.safetensors";
  save_checkpoint(file, folded, "{}");
  const auto model = Model<Folded<Net, all>>::load(file);
  std::filesystem::remove(file);
  std::vector<float> image(784);
  Rng rng(5);
  for (float& v : image) v = rng.uniform();
  const auto logits = model.predict(Model<Folded<Net, all>>::Image(image.data(), 784));
  // One Dense (Flatten has no tensor: fc1.weight [10, 784] then fc1.bias): W x + b, in double.
  for (std::size_t o = 0; o < 10; ++o) {
    double z = folded.values()[784 * 10 + o];
    for (std::size_t i = 0; i < 784; ++i) z += double(folded.values()[o * 784 + i]) * image[i];
    CHECK(logits[o] == Approx(z).epsilon(1e-5).margin(1e-5));
  }
}

TEST_CASE("fold: FLOPs per image of the report's network and of its folded forms", "[fold]") {
  // conv1 28*28*8 outputs of 25 taps + bias, conv2 of 200 + bias, conv3 of 144 + bias, 2 * 25088 * 10 + 10 for fc1,
  // one per activation element.
  constexpr double convs = 2.0 * 6272 * 26 + 2.0 * 12544 * 201 + 2.0 * 25088 * 145;
  constexpr double fc = 2.0 * 10 * 25089, activations = 6272 + 12544 + 25088;
  STATIC_REQUIRE(flops_per_image<Net>() == convs + fc + activations);
  STATIC_REQUIRE(flops_per_image<Folded<Net, pattern(I, I, I)>>() == 2.0 * 10 * 785);
}
