// Every layer's backward pass against finite differences (tests/support/gradient_check.hpp):
// the input gradient and every parameter gradient of f = sum(r * layer(x)) for a random r.
#include <catch2/catch.hpp>

#include "linconv/linconv.hpp"
#include "support/gradient_check.hpp"

namespace {

using namespace linconv;
using testing::check_gradient;
using testing::GradientCheck;
using testing::random_values;

// How check_layer runs a layer.
struct LayerCheck {
  int n = 1;                      // images
  std::vector<float> params = {};  // random when empty
  std::size_t stride = 1;         // compare every stride-th coordinate (large layers)
  Mode mode = Mode::evaluation;
  std::vector<float> buffers = {};  // L::init's when empty
  std::vector<float> x = {};        // random, at least 0.05 from 0, when empty
};

// Runs the check for a bound layer L on separate input, output and gradient buffers, through
// the layer contract alone (one thread that sees the whole batch).
template <class L>
void check_layer(LayerCheck c = {}) {
  Rng rng(1234);
  std::vector<float> x = c.x.empty() ? random_values(std::size_t(c.n) * L::in.size(), rng, 0.05f) : c.x;
  REQUIRE(x.size() == std::size_t(c.n) * L::in.size());
  std::vector<float> params = c.params.empty() ? random_values(L::param_count, rng) : c.params;
  REQUIRE(params.size() == L::param_count);
  std::vector<float> buffers(L::buffer_floats);
  std::vector<std::int64_t> counters(L::counter_count);
  std::vector<float> unused(L::param_count);
  L::init({unused.data(), buffers.data(), counters.data()}, rng, {});
  if (!c.buffers.empty()) buffers = c.buffers;
  REQUIRE(buffers.size() == L::buffer_floats);
  const std::vector<float> r = random_values(std::size_t(c.n) * L::out.size(), rng);
  std::vector<float> y(std::size_t(c.n) * L::out.size()), scratch(L::scratch_floats + 1), saved(L::saved_floats + 1);
  const Context context{c.mode, 0, nullptr, scratch.data(), saved.data()};
  auto tensors = [&](float* dparams) {
    return LayerTensors{params.data(), dparams, buffers.data(), counters.data(), nullptr, nullptr};
  };

  auto f = [&] {
    L::forward(tensors(nullptr), Images<L::in>{x.data(), c.n}, ImagesOut<L::out>{y.data(), c.n}, context);
    double sum = 0;
    for (std::size_t i = 0; i < r.size(); ++i) sum += double(r[i]) * y[i];
    return sum;
  };
  f();
  std::vector<float> dx(x.size(), std::nanf("")), dparams(L::param_count, 0.0f);
  L::backward(tensors(dparams.data()), Images<L::in>{x.data(), c.n}, Images<L::out>{y.data(), c.n},
              Images<L::out>{r.data(), c.n}, ImagesOut<L::in>{dx.data(), c.n}, context);

  const GradientCheck options;
  check_gradient("dx", x, dx, f, options, testing::sample_indices(x.size(), c.stride));
  if constexpr (L::param_count > 0)
    check_gradient("dparams", params, dparams, f, options, testing::sample_indices(params.size(), c.stride, 1));
}

// n images of S whose values are distinct and at least 0.05 apart, shuffled: no max-pool window
// has two values within the finite-difference step of each other.
template <Shape S>
std::vector<float> well_separated(int n) {
  std::vector<float> x(std::size_t(n) * S.size());
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0.05f * float(i) - 0.025f * float(x.size());
  Rng rng(99);
  rng.shuffle(std::span(x));
  return x;
}

}  // namespace

TEST_CASE("layers: Conv gradients, padded, strided and the report's shapes", "[layers]") {
  check_layer<Conv<4, 3, 1, 1>::bind<0, Shape{3, 7, 6}>>({.n = 2});
  check_layer<Conv<5, 3, 2, 0>::bind<0, Shape{2, 9, 8}>>({.n = 3});
  check_layer<Conv<3, 5, 1, 2>::bind<0, Shape{2, 6, 7}>>({.n = 2});
  check_layer<Conv<2, 4, 3, 3>::bind<0, Shape{1, 5, 5}>>({.n = 1});
  check_layer<Conv<8, 5, 1, 2>::bind<0, Shape{1, 28, 28}>>({.stride = 7});
  check_layer<Conv<16, 5, 1, 2>::bind<2, Shape{8, 28, 28}>>({.stride = 97});
  check_layer<Conv<32, 3, 1, 1>::bind<4, Shape{16, 28, 28}>>({.stride = 89});
}

TEST_CASE("layers: Dense gradients", "[layers]") {
  check_layer<Dense<5>::bind<0, Shape{37}>>({.n = 3});
  check_layer<Dense<10>::bind<7, Shape{25088}>>({.n = 2, .stride = 1009});
}

TEST_CASE("layers: ReLUAlpha gradients, alpha included, at alpha 0, 0.5, 1 and 2", "[layers]") {
  for (float alpha : {0.0f, 0.5f, 1.0f, 2.0f}) {
    INFO("alpha " << alpha);
    check_layer<ReLUAlpha::bind<1, Shape{3, 5, 4}>>({.n = 3, .params = {alpha}});
  }
}

TEST_CASE("layers: ReLUAlpha forward is the report's formula", "[layers]") {
  using L = ReLUAlpha::bind<0, Shape{4}>;
  const std::vector<float> x{-2.0f, -0.5f, 0.0f, 3.0f};
  for (float alpha : {0.0f, 0.5f, 1.0f, 2.0f}) {
    std::vector<float> y(4);
    L::forward({.params = &alpha}, Images<L::in>{x.data(), 1}, ImagesOut<L::out>{y.data(), 1}, {});
    for (std::size_t i = 0; i < 4; ++i) {
      const float relu = std::max(x[i], 0.0f), relu_neg = std::max(-x[i], 0.0f);
      CHECK(y[i] == relu - (1.0f - alpha) * relu_neg);
    }
  }
}

TEST_CASE("layers: fixed ReLU and Identity gradients and values", "[layers]") {
  check_layer<ReLU::bind<1, Shape{3, 5, 4}>>({.n = 2});
  check_layer<Identity::bind<1, Shape{3, 5, 4}>>({.n = 2});
  using R = ReLU::bind<0, Shape{3}>;
  const std::vector<float> x{-1.0f, 0.0f, 2.0f};
  std::vector<float> y(3);
  R::forward({}, Images<R::in>{x.data(), 1}, ImagesOut<R::out>{y.data(), 1}, {});
  CHECK(y == std::vector<float>{0.0f, 0.0f, 2.0f});
}

TEST_CASE("layers: Flatten is a free view in C, H, W order", "[layers]") {
  using F = Flatten::bind<0, Shape{2, 3, 4}>;
  STATIC_REQUIRE(F::out == Shape{24});
  STATIC_REQUIRE(F::in_place);
  check_layer<F>({.n = 2});
}

TEST_CASE("layers: ReLUAlphaPerChannel gradients, each channel its own alpha", "[layers]") {
  // Alphas 0, 0.5, 1 and 2: identity, the default, ReLU and a slope of -1.
  check_layer<ReLUAlphaPerChannel::bind<1, Shape{4, 3, 5}>>({.n = 3, .params = {0.0f, 0.5f, 1.0f, 2.0f}});
  // On a flat input, one alpha per feature.
  check_layer<ReLUAlphaPerChannel::bind<3, Shape{6}>>({.n = 2});
}

TEST_CASE("layers: ReLUAlphaPerChannel forward applies channel c's alpha to channel c", "[layers]") {
  using L = ReLUAlphaPerChannel::bind<0, Shape{2, 1, 2}>;
  const std::vector<float> alpha{0.25f, 3.0f}, x{-4.0f, 2.0f, -4.0f, 2.0f};
  std::vector<float> y(4);
  L::forward({.params = alpha.data()}, Images<L::in>{x.data(), 1}, ImagesOut<L::out>{y.data(), 1}, {});
  CHECK(y == std::vector<float>{-3.0f, 2.0f, 8.0f, 2.0f});
}

TEST_CASE("layers: BatchNorm2d gradients in training mode (batch statistics) and evaluation mode", "[layers]") {
  using L = BatchNorm2d::bind<1, Shape{3, 4, 5}>;
  check_layer<L>({.n = 3, .mode = Mode::training});
  // A single image still has 20 values per channel to normalise over.
  check_layer<L>({.n = 1, .mode = Mode::training});
  check_layer<L>({.n = 2, .mode = Mode::evaluation, .buffers = {0.3f, -0.2f, 0.1f, 0.5f, 2.0f, 1.5f}});
}

TEST_CASE("layers: BatchNorm2d forward against a hand computation, and the running statistics", "[layers]") {
  // One channel, two images of 2 values: x = {1, 3} and {5, 7}; mean 4, biased variance 5,
  // unbiased 20/3. weight 2, bias 0.5.
  using L = BatchNorm2d::bind<0, Shape{1, 1, 2}>;
  const std::vector<float> x{1.0f, 3.0f, 5.0f, 7.0f}, params{2.0f, 0.5f};
  std::vector<float> buffers{0.0f, 1.0f}, y(4), saved(L::saved_floats);
  std::vector<std::int64_t> counters{0};
  const LayerTensors tensors{params.data(), nullptr, buffers.data(), counters.data(), buffers.data(), counters.data()};
  L::forward(tensors, Images<L::in>{x.data(), 2}, ImagesOut<L::out>{y.data(), 2},
             {Mode::training, 0, nullptr, nullptr, saved.data()});
  const double inv_std = 1.0 / std::sqrt(5.0 + 1e-5);
  for (std::size_t i = 0; i < 4; ++i) CHECK(y[i] == Approx((x[i] - 4.0) * inv_std * 2.0 + 0.5).epsilon(1e-6));
  CHECK(buffers[0] == Approx(0.1 * 4.0).epsilon(1e-7));
  CHECK(buffers[1] == Approx(0.9 * 1.0 + 0.1 * 20.0 / 3.0).epsilon(1e-7));
  CHECK(counters[0] == 1);

  // Evaluation mode uses the running statistics and changes nothing.
  L::forward(tensors, Images<L::in>{x.data(), 2}, ImagesOut<L::out>{y.data(), 2}, {Mode::evaluation});
  const double run_inv_std = 1.0 / std::sqrt(double(buffers[1]) + 1e-5);
  for (std::size_t i = 0; i < 4; ++i)
    CHECK(y[i] == Approx((x[i] - buffers[0]) * run_inv_std * 2.0 + 0.5).epsilon(1e-6));
  CHECK(counters[0] == 1);
}

TEST_CASE("layers: BatchNorm2d refuses to train without statistics (an empty batch)", "[layers]") {
  using L = BatchNorm2d::bind<0, Shape{2, 1, 2}>;
  const std::vector<float> x{1.0f, 2.0f, 3.0f, 4.0f}, params{1.0f, 1.0f, 0.0f, 0.0f};
  std::vector<float> y(4), saved(L::saved_floats), buffers{0.0f, 0.0f, 1.0f, 1.0f};
  CHECK_THROWS_WITH(L::forward({params.data(), nullptr, buffers.data()}, Images<L::in>{x.data(), 0},
                               ImagesOut<L::out>{y.data(), 0}, {Mode::training, 0, nullptr, nullptr, saved.data()}),
                    Catch::Contains("more than one value per channel"));
}

TEST_CASE("layers: MaxPool2d gradients, and the first of equal maxima wins as in PyTorch", "[layers]") {
  check_layer<MaxPool2d<2>::bind<1, Shape{2, 6, 6}>>({.n = 2, .x = well_separated<Shape{2, 6, 6}>(2)});
  check_layer<MaxPool2d<3, 2>::bind<1, Shape{2, 7, 5}>>({.n = 2, .x = well_separated<Shape{2, 7, 5}>(2)});
  STATIC_REQUIRE(MaxPool2d<2>::bind<0, Shape{8, 7, 7}>::out == Shape{8, 3, 3});  // floor mode

  using L = MaxPool2d<2>::bind<0, Shape{1, 2, 4}>;
  const std::vector<float> x{1.0f, 3.0f, -1.0f, 0.0f,   //
                             3.0f, 2.0f, 0.0f, -2.0f};
  std::vector<float> y(2), dx(8);
  L::forward({}, Images<L::in>{x.data(), 1}, ImagesOut<L::out>{y.data(), 1}, {});
  CHECK(y == std::vector<float>{3.0f, 0.0f});
  const std::vector<float> dy{10.0f, 20.0f};
  L::backward({}, Images<L::in>{x.data(), 1}, Images<L::out>{y.data(), 1}, Images<L::out>{dy.data(), 1},
              ImagesOut<L::in>{dx.data(), 1}, {});
  CHECK(dx == std::vector<float>{0.0f, 10.0f, 0.0f, 20.0f, 0.0f, 0.0f, 0.0f, 0.0f});
}

TEST_CASE("layers: AvgPool2d gradients and values", "[layers]") {
  check_layer<AvgPool2d<2>::bind<1, Shape{3, 4, 6}>>({.n = 2});
  check_layer<AvgPool2d<3, 2>::bind<1, Shape{2, 7, 5}>>({.n = 2});
  using L = AvgPool2d<2>::bind<0, Shape{1, 2, 2}>;
  const std::vector<float> x{1.0f, 2.0f, 3.0f, 6.0f};
  std::vector<float> y(1);
  L::forward({}, Images<L::in>{x.data(), 1}, ImagesOut<L::out>{y.data(), 1}, {});
  CHECK(y[0] == 3.0f);
}

TEST_CASE("layers: softmax cross-entropy gradient, mean and sum reductions", "[layers][loss]") {
  Rng rng(5);
  const int n = 4, classes = 10;
  std::vector<float> logits = random_values(n * classes, rng);
  for (float& z : logits) z *= 4.0f;
  const std::vector<std::uint8_t> labels{3, 0, 9, 3};
  for (const Reduction reduction : {Reduction::mean, Reduction::sum}) {
    const float scale = reduction == Reduction::mean ? 1.0f / n : 1.0f;
    std::vector<float> grad(logits.size());
    softmax_cross_entropy(logits.data(), labels.data(), n, classes, grad.data(), scale);
    auto f = [&] { return softmax_cross_entropy(logits.data(), labels.data(), n, classes, nullptr, 1.0f).sum * scale; };
    check_gradient("dlogits", logits, grad, f, {.eps = 1e-3, .tolerance = 1e-3});
  }
}

TEST_CASE("layers: cross-entropy value against a hand computation", "[layers][loss]") {
  // logits (1, 2, 3), label 2: log(e^1 + e^2 + e^3) - 3 = 0.40760596444438
  const std::vector<float> logits{1.0f, 2.0f, 3.0f};
  const std::uint8_t label = 2;
  const CrossEntropy ce = softmax_cross_entropy(logits.data(), &label, 1, 3, nullptr, 1.0f);
  CHECK(ce.sum == Approx(0.40760596444438).epsilon(1e-6));
  CHECK(ce.correct == 1);
}
