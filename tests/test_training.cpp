// The training machinery: Adam against hand-computed steps, PyTorch's initialisation bounds, the
// whole network's gradients against finite differences (both reductions, with the alpha
// penalty), and determinism for a fixed seed and thread count.
#include <catch2/catch.hpp>
#include <cmath>

#include "linconv/linconv.hpp"
#include "support/gradient_check.hpp"

namespace {

using namespace linconv;
using testing::check_gradient;
using testing::random_values;

// A small network that exercises every layer kind, padding and a stride.
using SmallNet = Sequential<Input<2, 8, 7>, Conv<3, 3, 1, 1>, ReLUAlpha, Conv<4, 3, 2, 1>, ReLUAlpha,
                            Conv<3, 1, 1, 0>, ReLU, Flatten, Dense<5>>;

template <class Net>
struct Problem {
  int batch;
  std::vector<float> images;
  std::vector<std::uint8_t> labels;
  Problem(int n, std::uint64_t seed) : batch(n), images(std::size_t(n) * Net::input_shape.size()), labels(n) {
    Rng rng(seed);
    for (float& v : images) v = rng.uniform();
    for (auto& y : labels) y = std::uint8_t(rng.below(Net::output_shape.size()));
  }
  Batch<Net::input_shape> view() const { return {images.data(), batch}; }
};

}  // namespace

TEST_CASE("training: Adam matches hand-computed steps", "[training]") {
  // p = 1, lr = 0.1, gradients 0.5, -0.25, 2; torch.optim.Adam's rule evaluated by hand in double:
  //   t=1: 0.900000002   t=2: 0.8733662987078463   t=3: 0.8063015345291531
  AdamState adam(1, {.lr = 0.1f});
  std::vector<float> p{1.0f};
  const double expected[] = {0.900000002, 0.8733662987078463, 0.8063015345291531};
  const float grads[] = {0.5f, -0.25f, 2.0f};
  for (int t = 0; t < 3; ++t) {
    adam.next_step();
    const std::vector<float> g{grads[t]};
    adam.apply(p, g, 0, 1);
    CHECK(p[0] == Approx(expected[t]).epsilon(1e-6));
  }
  CHECK(adam.step() == 3);
}

TEST_CASE("training: initialisation follows PyTorch's bounds", "[training]") {
  using Net = FashionNet;
  const Params<Net> params = init_like_pytorch<Net>(42, {.alpha = 0.5f});
  for (const NetTensor& t : Net::tensors) {
    const auto values = params.tensor(t);
    INFO(t.name());
    if (t.tensor.suffix == "alpha") {
      CHECK(values[0] == 0.5f);
      continue;
    }
    // fan_in: C*K*K of the layer's weight (dims 1..), the same for its bias.
    const NetTensor& weight = Net::tensors[&t - Net::tensors.data() - (t.tensor.suffix == "bias")];
    double fan_in = 1;
    for (int d = 1; d < weight.tensor.rank; ++d) fan_in *= weight.tensor.dims[d];
    const double bound = 1 / std::sqrt(fan_in);
    double sum = 0, squares = 0;
    for (float v : values) {
      REQUIRE(std::abs(v) <= bound);
      sum += v;
      squares += double(v) * v;
    }
    if (values.size() >= 1000) {  // U(-b, b): mean 0, variance b^2 / 3
      const double n = double(values.size());
      CHECK(std::abs(sum / n) < 5 * bound / std::sqrt(3 * n));
      CHECK(squares / n == Approx(bound * bound / 3).epsilon(0.05));
    }
  }
  const Params<Net> same = init_like_pytorch<Net>(42), other = init_like_pytorch<Net>(43);
  CHECK(std::equal(same.values().begin(), same.values().end(), params.values().begin()));
  CHECK_FALSE(std::equal(other.values().begin(), other.values().end(), params.values().begin()));
}

TEST_CASE("training: whole-network gradients against finite differences", "[training]") {
  for (const Reduction reduction : {Reduction::mean, Reduction::sum}) {
    INFO((reduction == Reduction::mean ? "mean" : "sum"));
    Params<SmallNet> params = init_like_pytorch<SmallNet>(3, {.alpha = 0.3f});
    const Problem<SmallNet> problem(5, 11);
    ThreadPool pool(2);
    Trainer<SmallNet> trainer(params, {.lambda = 0.7f, .reduction = reduction}, pool, problem.batch);
    trainer.compute_gradients(problem.view(), problem.labels.data());
    const std::vector<float> analytic(trainer.gradients().begin(), trainer.gradients().end());
    auto loss = [&] { return trainer.compute_gradients(problem.view(), problem.labels.data()).loss; };
    check_gradient("dparams", params.values(), analytic, loss,
                   {.eps = 1e-3, .tolerance = 5e-3, .kink_tolerance = 2e-5, .max_kinks = 12});
  }
}

TEST_CASE("training: the report's network, gradients of a sample of parameters", "[training]") {
  using Net = FashionNet;
  Params<Net> params = init_like_pytorch<Net>(5);
  const Problem<Net> problem(3, 17);
  ThreadPool pool(2);
  Trainer<Net> trainer(params, {.lambda = 0.5f}, pool, problem.batch);
  trainer.compute_gradients(problem.view(), problem.labels.data());
  const std::vector<float> analytic(trainer.gradients().begin(), trainer.gradients().end());
  auto loss = [&] { return trainer.compute_gradients(problem.view(), problem.labels.data()).loss; };
  std::vector<std::size_t> sample = testing::sample_indices(Net::param_count, 4099, 3);
  for (const NetTensor& t : alpha_tensors<Net>()) sample.push_back(t.offset);
  check_gradient("dparams", params.values(), analytic, loss,
                 {.eps = 1e-3, .tolerance = 5e-3, .kink_tolerance = 2e-5, .max_kinks = 6}, sample);
}

TEST_CASE("training: a fixed seed and thread count give bit-identical training", "[training]") {
  auto train = [](int threads) {
    Params<SmallNet> params = init_like_pytorch<SmallNet>(9);
    const Problem<SmallNet> problem(10, 4);
    ThreadPool pool(threads);
    Trainer<SmallNet> trainer(params, {.lambda = 0.5f}, pool, problem.batch);
    std::vector<double> losses;
    for (int step = 0; step < 5; ++step)
      losses.push_back(trainer.step(problem.view(), problem.labels.data()).loss);
    return std::pair(std::vector<float>(params.values().begin(), params.values().end()), losses);
  };
  CHECK(train(2) == train(2));
  CHECK(train(1) == train(1));

  // The report's network with an uneven split (2 + 1 images), where the threads reach different
  // layers at the same time: repeated gradients must not change.
  Params<FashionNet> params = init_like_pytorch<FashionNet>(5);
  const Problem<FashionNet> problem(3, 17);
  ThreadPool pool(2);
  Trainer<FashionNet> trainer(params, {.lambda = 0.5f}, pool, problem.batch);
  trainer.compute_gradients(problem.view(), problem.labels.data());
  const std::vector<float> first(trainer.gradients().begin(), trainer.gradients().end());
  for (int repeat = 0; repeat < 20; ++repeat) {
    trainer.compute_gradients(problem.view(), problem.labels.data());
    REQUIRE(std::equal(first.begin(), first.end(), trainer.gradients().begin()));
  }
  // Other thread counts add the per-thread gradients in another order: close, not identical.
  const auto [one, one_losses] = train(1);
  const auto [three, three_losses] = train(3);
  for (std::size_t i = 0; i < one.size(); ++i) REQUIRE(one[i] == Approx(three[i]).margin(1e-5));
}

TEST_CASE("training: loss decreases and the penalty pulls alphas down", "[training]") {
  Params<SmallNet> params = init_like_pytorch<SmallNet>(2, {.alpha = 0.5f});
  const Problem<SmallNet> problem(20, 8);
  ThreadPool pool(2);
  Trainer<SmallNet> trainer(params, {.adam = {.lr = 1e-2f}, .lambda = 0.0f}, pool, problem.batch);
  const double first = trainer.step(problem.view(), problem.labels.data()).ce;
  double last = first;
  for (int step = 0; step < 100; ++step) last = trainer.step(problem.view(), problem.labels.data()).ce;
  CHECK(last < 0.5 * first);

  // With a huge lambda the penalty's gradient lambda * sign(alpha) dominates: Adam moves every
  // alpha down by about lr per step.
  Params<SmallNet> penalised = init_like_pytorch<SmallNet>(2, {.alpha = 0.5f});
  Trainer<SmallNet> pulled(penalised, {.adam = {.lr = 1e-2f}, .lambda = 1000.0f}, pool, problem.batch);
  for (int step = 0; step < 10; ++step) pulled.step(problem.view(), problem.labels.data());
  for (const NetTensor& t : alpha_tensors<SmallNet>())
    CHECK(penalised.values()[t.offset] == Approx(0.4f).margin(2e-3));
}

TEST_CASE("training: fused convolution + activation passes are bit-identical to unfused ones", "[training]") {
  STATIC_REQUIRE(FashionNet::fused_with_next == std::array<bool, 8>{true, false, true, false, true, false, false, false});
  STATIC_REQUIRE(SmallNet::fused_with_next[4]);  // Conv<3,1,1,0> + ReLU
  auto train = [](auto fusion) {
    constexpr Fusion F = decltype(fusion)::value;
    Params<FashionNet> params = init_like_pytorch<FashionNet>(21, {.alpha = 0.3f});
    const Problem<FashionNet> problem(5, 6);
    ThreadPool pool(2);
    Trainer<FashionNet, F> trainer(params, {.lambda = 0.5f}, pool, problem.batch);
    std::vector<double> losses;
    for (int step = 0; step < 3; ++step) losses.push_back(trainer.step(problem.view(), problem.labels.data()).loss);
    return std::pair(std::vector<float>(params.values().begin(), params.values().end()), losses);
  };
  CHECK(train(std::integral_constant<Fusion, Fusion::on>{}) == train(std::integral_constant<Fusion, Fusion::off>{}));
}
