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

// Runs the check for a bound layer L on n images. `params` may be given (else random) and
// `indices` restricts the compared coordinates for large layers.
template <class L>
void check_layer(int n, std::vector<float> params = {}, std::size_t stride = 1) {
  Rng rng(1234);
  std::vector<float> x = random_values(std::size_t(n) * L::in.size(), rng, 0.05f);
  if (params.empty()) params = random_values(L::param_count, rng);
  REQUIRE(params.size() == L::param_count);
  const std::vector<float> r = random_values(std::size_t(n) * L::out.size(), rng);
  std::vector<float> y(std::size_t(n) * L::out.size()), scratch(L::scratch_floats + 1);

  // An in-place layer's output is its input, and its gradients share one buffer.
  auto output = [&]() -> const float* { return L::in_place ? x.data() : y.data(); };
  auto f = [&] {
    L::forward(params.data(), x.data(), y.data(), n, scratch.data());
    double sum = 0;
    for (std::size_t i = 0; i < r.size(); ++i) sum += double(r[i]) * output()[i];
    return sum;
  };
  f();
  std::vector<float> dx = L::in_place ? r : std::vector<float>(x.size(), 0.0f);
  std::vector<float> dparams(L::param_count, 0.0f);
  L::backward(params.data(), x.data(), output(), L::in_place ? dx.data() : r.data(), dx.data(),
              dparams.data(), n, scratch.data());

  const GradientCheck options;
  check_gradient("dx", x, dx, f, options, testing::sample_indices(x.size(), stride));
  if constexpr (L::param_count > 0)
    check_gradient("dparams", params, dparams, f, options,
                   testing::sample_indices(params.size(), stride, 1));
}

}  // namespace

TEST_CASE("layers: Conv gradients, padded, strided and the report's shapes", "[layers]") {
  check_layer<Conv<4, 3, 1, 1>::bind<0, Shape{3, 7, 6}>>(2);
  check_layer<Conv<5, 3, 2, 0>::bind<0, Shape{2, 9, 8}>>(3);
  check_layer<Conv<3, 5, 1, 2>::bind<0, Shape{2, 6, 7}>>(2);
  check_layer<Conv<2, 4, 3, 3>::bind<0, Shape{1, 5, 5}>>(1);
  check_layer<Conv<8, 5, 1, 2>::bind<0, Shape{1, 28, 28}>>(1, {}, 7);
  check_layer<Conv<16, 5, 1, 2>::bind<2, Shape{8, 28, 28}>>(1, {}, 97);
  check_layer<Conv<32, 3, 1, 1>::bind<4, Shape{16, 28, 28}>>(1, {}, 89);
}

TEST_CASE("layers: Dense gradients", "[layers]") {
  check_layer<Dense<5>::bind<0, Shape{37}>>(3);
  check_layer<Dense<10>::bind<7, Shape{25088}>>(2, {}, 1009);
}

TEST_CASE("layers: ReLUAlpha gradients, alpha included, at alpha 0, 0.5, 1 and 2", "[layers]") {
  for (float alpha : {0.0f, 0.5f, 1.0f, 2.0f}) {
    INFO("alpha " << alpha);
    check_layer<ReLUAlpha::bind<1, Shape{3, 5, 4}>>(3, {alpha});
  }
}

TEST_CASE("layers: ReLUAlpha forward is the report's formula", "[layers]") {
  using L = ReLUAlpha::bind<0, Shape{4}>;
  const std::vector<float> x{-2.0f, -0.5f, 0.0f, 3.0f};
  for (float alpha : {0.0f, 0.5f, 1.0f, 2.0f}) {
    std::vector<float> y(4);
    L::forward(&alpha, x.data(), y.data(), 1, nullptr);
    for (std::size_t i = 0; i < 4; ++i) {
      const float relu = std::max(x[i], 0.0f), relu_neg = std::max(-x[i], 0.0f);
      CHECK(y[i] == relu - (1.0f - alpha) * relu_neg);
    }
  }
}

TEST_CASE("layers: fixed ReLU and Identity gradients and values", "[layers]") {
  check_layer<ReLU::bind<1, Shape{3, 5, 4}>>(2);
  check_layer<Identity::bind<1, Shape{3, 5, 4}>>(2);
  using R = ReLU::bind<0, Shape{3}>;
  const std::vector<float> x{-1.0f, 0.0f, 2.0f};
  std::vector<float> y(3);
  R::forward(nullptr, x.data(), y.data(), 1, nullptr);
  CHECK(y == std::vector<float>{0.0f, 0.0f, 2.0f});
}

TEST_CASE("layers: Flatten is a free view in C, H, W order", "[layers]") {
  using F = Flatten::bind<0, Shape{2, 3, 4}>;
  STATIC_REQUIRE(F::out == Shape{24});
  STATIC_REQUIRE(F::in_place);
  check_layer<F>(2);
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
