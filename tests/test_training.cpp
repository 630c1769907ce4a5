// The training machinery: Adam and SGD against hand-computed steps, how each moves a penalised
// alpha, the penalty scaled by the reduction, PyTorch's initialisation bounds, the
// whole network's gradients against finite differences (both reductions, with the alpha
// penalty), and determinism for a fixed seed and thread count; for a network with BatchNorm2d,
// the same across threads that meet at every batch norm (engine.hpp), however the batch is split.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>

#include "linconv/linconv.hpp"
#include "support/gradient_check.hpp"

namespace {

using namespace linconv;
using testing::check_gradient;
using testing::random_values;

// A small network that exercises every layer kind, padding and a stride.
using SmallNet = Sequential<Input<2, 8, 7>, Conv<3, 3, 1, 1>, ReLUAlpha, Conv<4, 3, 2, 1>, ReLUAlpha,
                            Conv<3, 1, 1, 0>, ReLU, Flatten, Dense<5>>;

// Batch-coupled: BatchNorm2d in training mode, between a convolution and per-channel alphas,
// and both pools.
using CoupledNet = Sequential<Input<2, 8, 8>, Conv<3, 3, 1, 1>, BatchNorm2d, ReLUAlphaPerChannel, MaxPool2d<2>,
                              Conv<4, 3, 1, 1>, BatchNorm2d, ReLUAlpha, AvgPool2d<2>, Flatten, Dense<5>>;

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

TEST_CASE("training: SGD matches hand-computed steps", "[training]") {
  // p = 1, lr = 0.1, gradients 0.5, -0.25, 2: p -= lr * g gives 0.95, 0.975, 0.775.
  std::vector<float> p{1.0f};
  const double expected[] = {0.95, 0.975, 0.775};
  const float grads[] = {0.5f, -0.25f, 2.0f};
  for (int t = 0; t < 3; ++t) {
    sgd_apply({.lr = 0.1f}, p, std::vector<float>{grads[t]}, 0, 1);
    CHECK(p[0] == Approx(expected[t]).epsilon(1e-6));
  }
}

TEST_CASE("training: the penalty moves alphas by lr * lambda a step under SGD, by about lr under Adam",
          "[training]") {
  const Problem<SmallNet> problem(20, 8);
  ThreadPool pool(2);
  // Where the penalty's gradient lambda * sign(alpha) dominates the cross-entropy's, 10 steps.
  const auto alphas_after = [&](Optimizer optimizer, float lambda) {
    Params<SmallNet> params = init_like_pytorch<SmallNet>(2, {.alpha = 0.5f});
    Trainer<SmallNet> trainer(params, {.optimizer = optimizer, .adam = {.lr = 1e-4f}, .sgd = {.lr = 1e-4f},
                                       .lambda = lambda},
                              pool, problem.batch);
    for (int step = 0; step < 10; ++step) trainer.step(problem.view(), problem.labels.data());
    std::vector<float> alphas;
    for (const NetTensor& t : alpha_tensors<SmallNet>()) alphas.push_back(params.values()[t.offset]);
    return alphas;
  };
  for (const float alpha : alphas_after(Optimizer::sgd, 100.0f)) CHECK(alpha == Approx(0.5 - 10 * 1e-4 * 100).margin(2e-3));
  for (const float alpha : alphas_after(Optimizer::sgd, 300.0f)) CHECK(alpha == Approx(0.5 - 10 * 1e-4 * 300).margin(2e-3));
  for (const float lambda : {100.0f, 300.0f})
    for (const float alpha : alphas_after(Optimizer::adam, lambda)) CHECK(alpha == Approx(0.5 - 10 * 1e-4).margin(1e-5));
}

TEST_CASE("training: a penalty scaled by the reduction makes sum's loss and gradients batch x mean's",
          "[training]") {
  Params<SmallNet> params = init_like_pytorch<SmallNet>(4, {.alpha = 0.3f});
  const Problem<SmallNet> problem(5, 12);
  ThreadPool pool(2);
  const float lambda = 0.7f;
  const auto gradients = [&](Reduction reduction, LambdaScale scale) {
    Trainer<SmallNet> trainer(params, {.lambda = lambda, .reduction = reduction, .lambda_scale = scale}, pool,
                              problem.batch);
    const StepStats stats = trainer.compute_gradients(problem.view(), problem.labels.data());
    return std::pair(stats, std::vector<float>(trainer.gradients().begin(), trainer.gradients().end()));
  };
  double alpha_sum = 0.0;
  for (const NetTensor& t : alpha_tensors<SmallNet>()) alpha_sum += std::abs(params.values()[t.offset]);

  const auto [mean, mean_grads] = gradients(Reduction::mean, LambdaScale::none);
  const auto [sum, sum_grads] = gradients(Reduction::sum, LambdaScale::reduction);
  CHECK(sum.penalty == Approx(5 * lambda * alpha_sum).epsilon(1e-6));
  CHECK(sum.loss == Approx(5 * mean.loss).epsilon(1e-6));
  double largest = 0.0;
  for (float g : mean_grads) largest = std::max(largest, 5.0 * std::abs(g));
  for (std::size_t i = 0; i < mean_grads.size(); ++i) {
    INFO("parameter " << i << ": sum " << sum_grads[i] << ", 5 x mean " << 5 * mean_grads[i]);
    CHECK(std::abs(sum_grads[i] - 5.0 * mean_grads[i]) <= 1e-6 * largest);
  }
  // Under mean the scale is 1; without it, the penalty is lambda * sum |alpha| under sum too.
  CHECK(gradients(Reduction::mean, LambdaScale::reduction).first.loss == mean.loss);
  CHECK(gradients(Reduction::sum, LambdaScale::none).first.penalty == Approx(lambda * alpha_sum).epsilon(1e-6));
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

// Every buffer of a training workspace set to `value`: activations, both gradient buffers,
// each thread's scratch, saved state and parameter gradients.
template <class Net>
void fill_workspace(Workspace<Net>& ws, float value) {
  const std::size_t rows = std::size_t(ws.capacity());
  for (std::size_t i = 0; i <= Net::layer_count; ++i) {
    std::fill_n(ws.activation(i, 0), rows * Net::shapes[i].size(), value);
    std::fill_n(ws.gradient(i, 0), rows * Net::max_layer_floats, value);
  }
  for (int t = 0; t < ws.threads(); ++t) {
    std::fill_n(ws.scratch(t), Net::scratch_floats, value);
    std::fill_n(ws.saved(0, t), Net::saved_floats, value);
    std::fill_n(ws.param_grads(t), Net::param_count, value);
  }
}

// Steps and an evaluation of Net, with the workspace filled with `fill` before each (or left as
// the previous step left it): the parameters after, the losses, and the evaluation's sum.
template <class Net>
std::pair<std::vector<float>, std::vector<double>> train_over(std::optional<float> fill, int batch, int threads) {
  Params<Net> params = init_like_pytorch<Net>(13, {.alpha = 0.4f});
  const Problem<Net> problem(batch, 3);
  ThreadPool pool(threads);
  Trainer<Net> trainer(params, {.lambda = 0.5f}, pool, problem.batch);
  std::vector<double> losses;
  for (int step = 0; step < 3; ++step) {
    if (fill) fill_workspace(trainer.workspace(), *fill);
    losses.push_back(trainer.step(problem.view(), problem.labels.data()).loss);
  }
  if (fill) fill_workspace(trainer.workspace(), *fill);
  losses.push_back(evaluate(params, problem.view(), problem.labels.data(), trainer.workspace(), pool).sum);
  return {std::vector<float>(params.values().begin(), params.values().end()), losses};
}

// A pass that read memory it had not written (a scratch region another layer left, padding
// outside a row, a gradient buffer of the previous step) would give results that depend on what
// was there: NaN makes any such read change them.
TEST_CASE("training: results do not depend on what the workspace held before", "[training]") {
  STATIC_REQUIRE(FashionNet::saved_offsets[0] == 0);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  CHECK(train_over<FashionNet>(nan, 5, 2) == train_over<FashionNet>(std::nullopt, 5, 2));
  CHECK(train_over<FashionNet>(nan, 3, 1) == train_over<FashionNet>(std::nullopt, 3, 1));
  CHECK(train_over<SmallNet>(nan, 7, 2) == train_over<SmallNet>(std::nullopt, 7, 2));
  CHECK(train_over<CoupledNet>(nan, 6, 2) == train_over<CoupledNet>(std::nullopt, 6, 2));
}

// Without a backward pass after it, a convolution fused with its activation keeps its own
// output in scratch: the workspace's pre-activations stay as they were, the activations and
// logits are those of a training forward pass bit for bit.
TEST_CASE("engine: an evaluation pass leaves the fused convolutions' outputs out, same values", "[training]") {
  using Net = FashionNet;
  STATIC_REQUIRE(Net::fused_with_next[0] && Net::fused_with_next[2] && Net::fused_with_next[4]);
  Params<Net> params = init_like_pytorch<Net>(17, {.alpha = 0.3f});
  const Problem<Net> problem(3, 9);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto pass = [&](bool training) {
    Workspace<Net> ws(problem.batch, 1, Workspace<Net>::training);  // fill_workspace fills every buffer
    fill_workspace(ws, nan);
    std::copy(problem.images.begin(), problem.images.end(), ws.activation(0, 0));
    if (training)
      forward_training<Net>(params, ws, Slice{0, problem.batch, 0});
    else
      forward<Net>(params, ws, Slice{0, problem.batch, 0});
    std::vector<std::vector<float>> activations;
    for (std::size_t i = 0; i <= Net::layer_count; ++i)
      activations.emplace_back(ws.activation(i, 0), ws.activation(i, 0) + problem.batch * Net::shapes[i].size());
    return activations;
  };
  const auto trained = pass(true), evaluated = pass(false);
  auto all_nan = [](const std::vector<float>& v) { return std::ranges::all_of(v, [](float x) { return std::isnan(x); }); };
  for (std::size_t i = 0; i <= Net::layer_count; ++i) {
    CAPTURE(i);
    CHECK(!all_nan(trained[i]));
    if (i > 0 && Net::fused_with_next[i - 1]) {  // the output of a convolution fused with its activation
      CHECK(all_nan(evaluated[i]));
    } else {
      CHECK(std::memcmp(evaluated[i].data(), trained[i].data(), trained[i].size() * sizeof(float)) == 0);
    }
  }
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

TEST_CASE("training: BatchNorm2d across threads, gradients against finite differences", "[training]") {
  // Batch statistics couple the images: the loss of the whole batch, split between 3 threads
  // (3 + 2 + 2 images) that meet at each batch norm, against its finite differences.
  for (const Reduction reduction : {Reduction::mean, Reduction::sum}) {
    INFO((reduction == Reduction::mean ? "mean" : "sum"));
    Params<CoupledNet> params = init_like_pytorch<CoupledNet>(3, {.alpha = 0.3f});
    Rng rng(8);
    for (float& v : params.values()) v += 0.1f * rng.uniform(-1.0f, 1.0f);  // BatchNorm2d's weight is not 1
    const Problem<CoupledNet> problem(7, 12);
    ThreadPool pool(3);
    Trainer<CoupledNet> trainer(params, {.lambda = 0.7f, .reduction = reduction}, pool, problem.batch);
    trainer.compute_gradients(problem.view(), problem.labels.data());
    const std::vector<float> analytic(trainer.gradients().begin(), trainer.gradients().end());
    auto loss = [&] { return trainer.compute_gradients(problem.view(), problem.labels.data()).loss; };
    // The max pools add kinks (a window's maximum changes hands) besides ReLU_alpha's; one whose
    // second difference is under kink_tolerance distorts the central difference by at most
    // kink_tolerance / (2 eps) = 1e-3, within the tolerance.
    const testing::CheckResult result = check_gradient(
        "dparams", params.values(), analytic, loss,
        {.eps = 1e-3, .tolerance = 5e-3, .kink_tolerance = 2e-6, .max_kinks = CoupledNet::param_count / 4});
    CHECK(result.checked >= 3 * CoupledNet::param_count / 4);
  }
}

TEST_CASE("training: BatchNorm2d is deterministic per thread count and nearly independent of the split",
          "[training]") {
  // The parameters after 5 Adam steps and the buffers (bit for bit), or the gradients of one
  // batch and the buffers after that one pass (to compare across thread counts: a convolution
  // bias before a batch norm has a gradient of exactly 0 up to rounding, whose sign Adam would
  // turn into a move of lr either way).
  auto train = [](int threads, int batch) {
    Params<CoupledNet> params = init_like_pytorch<CoupledNet>(9);
    const Problem<CoupledNet> problem(batch, 4);
    ThreadPool pool(threads);
    Trainer<CoupledNet> trainer(params, {.lambda = 0.5f}, pool, problem.batch);
    for (int step = 0; step < 5; ++step) trainer.step(problem.view(), problem.labels.data());
    std::vector<float> state(params.values().begin(), params.values().end());
    state.insert(state.end(), params.buffers().begin(), params.buffers().end());
    CHECK(params.counters()[0] == 5);  // num_batches_tracked of bn1
    return state;
  };
  auto gradients = [](int threads, int batch) {
    Params<CoupledNet> params = init_like_pytorch<CoupledNet>(9);
    const Problem<CoupledNet> problem(batch, 4);
    ThreadPool pool(threads);
    Trainer<CoupledNet> trainer(params, {.lambda = 0.5f}, pool, problem.batch);
    trainer.compute_gradients(problem.view(), problem.labels.data());
    std::vector<float> result(trainer.gradients().begin(), trainer.gradients().end());
    result.insert(result.end(), params.buffers().begin(), params.buffers().end());
    return result;
  };
  CHECK(train(2, 10) == train(2, 10));
  CHECK(train(3, 10) == train(3, 10));
  // Splits of 10 images as 10, 5 + 5, 4 + 3 + 3 and 3 + 3 + 2 + 2, and of 2 images between 3
  // threads (one with none): the same sums in other groupings, equal up to the last bits.
  auto close = [](const std::vector<float>& a, const std::vector<float>& b) {
    const float scale = std::ranges::max(a, {}, [](float v) { return std::abs(v); });
    for (std::size_t i = 0; i < a.size(); ++i) REQUIRE(a[i] == Approx(b[i]).epsilon(1e-5).margin(1e-6 * scale));
  };
  const std::vector<float> one = gradients(1, 10);
  for (const int threads : {2, 3, 4}) close(one, gradients(threads, 10));
  close(gradients(1, 2), gradients(3, 2));
}

TEST_CASE("training: evaluation mode uses the running statistics, training mode the batch's", "[training]") {
  Params<CoupledNet> params = init_like_pytorch<CoupledNet>(4);
  const Problem<CoupledNet> problem(6, 5);
  ThreadPool pool(2);
  Workspace<CoupledNet> ws(problem.batch, pool.size());
  // Fresh buffers (mean 0, variance 1): evaluation-mode BatchNorm2d is x / sqrt(1 + eps) * w + b.
  const CrossEntropy fresh = evaluate(params, problem.view(), problem.labels.data(), ws, pool);
  Trainer<CoupledNet> trainer(params, {}, pool, problem.batch);
  const StepStats batch_stats = trainer.compute_gradients(problem.view(), problem.labels.data());
  CHECK(batch_stats.ce != Approx(fresh.sum / problem.batch));
  CHECK(params.counters()[0] == 1);
  CHECK(params.buffers()[0] != 0.0f);  // bn1.running_mean moved towards the batch mean
  // Evaluation changes no buffer, and gives the same logits twice.
  const std::vector<float> buffers(params.buffers().begin(), params.buffers().end());
  const CrossEntropy first = evaluate(params, problem.view(), problem.labels.data(), ws, pool);
  const CrossEntropy second = evaluate(params, problem.view(), problem.labels.data(), ws, pool);
  CHECK(first.sum == second.sum);
  CHECK(std::equal(buffers.begin(), buffers.end(), params.buffers().begin()));
  CHECK(params.counters()[0] == 1);
}

TEST_CASE("training: checkpoints keep buffers, with num_batches_tracked as I64", "[training]") {
  Params<CoupledNet> params = init_like_pytorch<CoupledNet>(4);
  const Problem<CoupledNet> problem(6, 5);
  ThreadPool pool(2);
  Trainer<CoupledNet> trainer(params, {}, pool, problem.batch);
  for (int step = 0; step < 3; ++step) trainer.step(problem.view(), problem.labels.data());
  const std::filesystem::path file = std::filesystem::temp_directory_path() / "linconv_test_buffers.safetensors";
  save_checkpoint(file, params, "{}");
  const SafetensorsFile contents = read_safetensors(file);
  const Tensor* counter = contents.find("bn2.num_batches_tracked");
  REQUIRE(counter != nullptr);
  CHECK(counter->dtype == DType::i64);
  CHECK(counter->shape.empty());
  CHECK(counter->integers == std::vector<std::int64_t>{3});
  CHECK(contents.find("bn1.running_var") != nullptr);
  const Params<CoupledNet> loaded = load_checkpoint<CoupledNet>(file);
  CHECK(std::ranges::equal(loaded.values(), params.values()));
  CHECK(std::ranges::equal(loaded.buffers(), params.buffers()));
  CHECK(std::ranges::equal(loaded.counters(), params.counters()));
  std::filesystem::remove(file);
}
