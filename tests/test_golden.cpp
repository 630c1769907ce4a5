// Golden tests against PyTorch. The fixtures in tests/golden/fixtures (made by
// tests/golden/make_golden.py, see tests/golden/README.md; LINCONV_GOLDEN_DIR names another
// directory) hold initial weights, a batch of 8 images and what PyTorch computes from them for
// each activation (ReLUAlpha, ReLU, Identity) and reduction (mean, sum): the logits, the loss,
// the gradient of every parameter, the loss at each of 3 torch.optim.Adam steps (lr 1e-3) on
// that batch and the parameters after them. PyTorch computed them in float64 (stored as float32),
// so a difference is linconv's float32 error plus half an ulp. The images keep every ReLU and
// ReLUAlpha input at least 1e-6 away from zero at the initial weights, so that float32 rounding
// cannot move a unit across its kink. Every fixture runs with 1 and 2 threads (2 threads split
// the batch 4/4).
//
// Tolerances (max|torch| is taken over the tensor):
//   logits            |ours - torch| <= 1e-5 * max|torch|
//   loss              |ours - torch| <= 1e-6 * |torch|
//   gradients         |ours - torch| <= 1e-5 * |torch| + 1e-5 * max|torch|
// PyTorch's own float32 run is up to 8e-6 * max (logits) and 6e-6 * max (gradients) away from
// its float64 one on such fixtures (torch_float32_deviation in each fixture's metadata);
// linconv was within 1.5e-6 * max on seeds 1 to 16.
//
// After the Adam steps. A step moves a weight by lr * m / sqrt(v), about lr whatever the
// gradient's size, so where a gradient is at rounding-noise level (|g| ~ 1e-8 against a max of
// ~0.1: a few of fc1.weight's 250880) float32 noise picks the direction, and two correct float32
// runs end up to ~2 lr apart there. It happens: in the committed linear_mean fixture
// fc1.weight[81825] (step-1 gradient 1.0e-8) ends 0.19 lr from PyTorch's value; with seed 15,
// linear_sum fc1.weight[23404] (4.6e-9) ends 1.15 lr away; PyTorch's float32 run does the same
// (after_adam3_flips in the metadata). Such a weight then shifts the next steps' gradients of
// everything slightly (up to ~1e-3 * max, as do ReLU units that cross zero on the way), so the
// weights after 3 steps are not determined to float32 precision. They are checked two ways:
//   1. Adam itself, exactly: the weights must equal torch.optim.Adam's rule replayed in double
//      from the initial weights with the gradients linconv used at each step (gradients()),
//      |ours - replay| <= 2^-22 * (|w0| + 3 lr) + 1e-5 * lr   (a few roundings of the weight).
//   2. The trajectory, against PyTorch, in units of lr and after taking off 8 * 2^-24 * |torch|
//      (the weight's roundings): in every tensor the median <= 1e-3 lr, the 99th percentile
//      (the largest for tensors of under 100 elements) <= 1e-2 lr, and every element <= the
//      farthest two runs of 3 Adam steps can be apart (2 * 3.005 lr). Seeds 1-16 gave medians
//      <= 6.5e-5 lr, 99th percentiles <= 1.9e-3 lr and at most 10 elements per tensor over
//      1e-2 lr, which the message lists with their gradients.
//   The step losses: the first within 1e-6 (the loss above), the later ones within 1e-4
//   relative (the trajectories differ by the moves above: |dL| ~ |g . dw|; seen: 3.3e-6).
//
// The first-attempt network (bnpool_*: BatchNorm2d and max pools) and a network with every new
// layer (mixed_*: per-channel alphas, both pools) are checked the same way, in training mode
// (batch statistics) for the logits, loss, gradients and steps, plus their buffers: the running
// statistics after one pass (1e-5 * max) and after the steps, and the logits in evaluation mode
// from PyTorch's state after the steps (check_buffers_and_evaluation says why that state).
//
// LINCONV_GOLDEN_REPORT=1 prints the worst error of each kind after each test case.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "linconv/linconv.hpp"

namespace {

using namespace linconv;
namespace fs = std::filesystem;

constexpr double logits_atol = 1e-5;
constexpr double buffer_atol = 1e-5;  // running statistics: |ours - torch| <= 1e-5 * max|torch|
constexpr double loss_rtol = 1e-6, step_loss_rtol = 1e-4;
constexpr double grad_rtol = 1e-5, grad_atol = 1e-5;
constexpr double replay_rtol = 1.0 / (1 << 22), replay_atol_lr = 1e-5;
constexpr double weight_rounding = 8.0 / (1 << 24);
constexpr double median_lr = 1e-3, p99_lr = 1e-2;
// torch.optim.Adam's constants, for the replay.
constexpr double torch_beta1 = 0.9, torch_beta2 = 0.999, torch_eps = 1e-8;

fs::path golden_dir() {
  if (const char* dir = std::getenv("LINCONV_GOLDEN_DIR"); dir && *dir) return dir;
  return fs::path(LINCONV_TEST_DIR) / "golden" / "fixtures";
}

// A fixture with the tensors of the file its "shared" metadata names merged in.
struct Fixture {
  fs::path path;
  SafetensorsFile file;

  std::string meta(const std::string& key) const {
    const auto it = file.metadata.find(key);
    return it == file.metadata.end() ? std::string() : it->second;
  }
  const Tensor& get(const std::string& name) const {
    const Tensor* t = file.find(name);
    INFO(path.string() << ": tensor " << name);
    REQUIRE(t != nullptr);
    return *t;
  }
};

Fixture load_fixture(const std::string& name) {
  Fixture f;
  f.path = golden_dir() / name;
  INFO("golden fixture " << f.path.string()
                         << " (tests/golden/make_golden.py writes it; see tests/golden/README.md)");
  REQUIRE(fs::is_regular_file(f.path));
  f.file = read_safetensors(f.path);
  if (const std::string shared = f.meta("shared"); !shared.empty()) {
    const fs::path shared_path = f.path.parent_path() / shared;
    INFO("shared file " << shared_path.string());
    REQUIRE(fs::is_regular_file(shared_path));
    SafetensorsFile common = read_safetensors(shared_path);
    REQUIRE(common.metadata["seed"] == f.meta("seed"));
    for (Tensor& t : common.tensors) {
      INFO("tensor " << t.name << " is in both files");
      REQUIRE(f.file.find(t.name) == nullptr);
      f.file.tensors.push_back(std::move(t));
    }
  }
  return f;
}

// The worst error of each kind, printed after each test case with LINCONV_GOLDEN_REPORT=1.
struct Worst {
  double ratio = 0.0;   // the largest |ours - torch| / allowed
  double scaled = 0.0;  // the largest error in the kind's unit (see `unit`)
  std::string unit, where;
};
std::map<std::string, Worst>& worst_by_kind() {
  static std::map<std::string, Worst> worst;
  return worst;
}
void note(const std::string& kind, double ratio, double scaled, const std::string& unit,
          const std::string& where) {
  Worst& w = worst_by_kind()[kind];
  if (ratio >= w.ratio) {
    w.ratio = ratio;
    w.where = where;
  }
  w.scaled = std::max(w.scaled, scaled);
  w.unit = unit;
}

double max_abs(std::span<const float> values) {
  double m = 0.0;
  for (float v : values) m = std::max(m, double(std::abs(v)));
  return m;
}

// |ours - torch| <= rtol * |torch| + atol_scale * max|torch| for every element.
void check_close(const std::string& kind, const std::string& what, std::span<const float> ours,
                 const Tensor& torch, double rtol, double atol_scale) {
  REQUIRE(ours.size() == torch.values.size());
  const double scale = max_abs(torch.values);
  double worst = 0.0, worst_abs = 0.0;
  std::size_t at = 0;
  for (std::size_t i = 0; i < ours.size(); ++i) {
    const double d = std::abs(double(ours[i]) - double(torch.values[i]));
    const double allowed = rtol * std::abs(double(torch.values[i])) + atol_scale * scale;
    const double ratio = allowed > 0.0 ? d / allowed : (d > 0.0 ? INFINITY : 0.0);
    worst_abs = std::max(worst_abs, d);
    if (ratio > worst) {
      worst = ratio;
      at = i;
    }
  }
  std::ostringstream message;
  message.precision(9);
  message << what << ": worst element " << at << ": ours " << ours[at] << ", torch "
          << torch.values[at] << ", |diff| " << std::abs(double(ours[at]) - torch.values[at])
          << " = " << worst << " x allowed (" << rtol << " * |torch| + " << atol_scale
          << " * max|torch|, max|torch| " << scale << ")";
  note(kind, worst, scale > 0.0 ? worst_abs / scale : worst_abs, "of max|torch|", message.str());
  INFO(message.str());
  CHECK(worst <= 1.0);
}

void check_loss(const std::string& kind, const std::string& what, double ours, double torch,
                double rtol) {
  const double d = std::abs(ours - torch);
  std::ostringstream message;
  message.precision(10);
  message << what << ": ours " << ours << ", torch " << torch << ", |diff| " << d << " = "
          << d / std::abs(torch) << " relative (allowed " << rtol << ")";
  note(kind, d / (rtol * std::abs(torch)), d / std::abs(torch), "relative", message.str());
  INFO(message.str());
  CHECK(d <= rtol * std::abs(torch));
}

// The farthest one weight can move in `steps` Adam steps, in units of lr: sum over t of
// max |mhat_t / sqrt(vhat_t)| = sqrt(sum_k a_k^2 / b_k) (Cauchy-Schwarz), with mhat = sum a_k g_k,
// vhat = sum b_k g_k^2. 1, 1.0014, 1.0036, ... for torch's betas.
double adam_reach(int steps) {
  double total = 0.0;
  for (int t = 1; t <= steps; ++t) {
    double s = 0.0;
    for (int k = 1; k <= t; ++k) {
      const double a =
          (1 - torch_beta1) * std::pow(torch_beta1, t - k) / (1 - std::pow(torch_beta1, t));
      const double b =
          (1 - torch_beta2) * std::pow(torch_beta2, t - k) / (1 - std::pow(torch_beta2, t));
      s += a * a / b;
    }
    total += std::sqrt(s);
  }
  return total;
}

// The value of rank ceil(q * n) (1-based) of `values`: the q-quantile, the largest when q * n
// rounds up to n.
double quantile(std::vector<double> values, double q) {
  const std::size_t rank =
      std::max<std::size_t>(1, std::size_t(std::ceil(q * double(values.size()))));
  std::nth_element(values.begin(), values.begin() + std::ptrdiff_t(rank - 1), values.end());
  return values[rank - 1];
}

// The logits the last pass left in rows [0, n) of a workspace.
template <class Net>
std::vector<float> workspace_logits(Workspace<Net>& ws, int n) {
  std::vector<float> logits;
  for (int row = 0; row < n; ++row) {
    const float* z = ws.activation(Net::layer_count, row);
    logits.insert(logits.end(), z, z + Net::output_shape.size());
  }
  return logits;
}

// After the Adam steps of a network with BatchNorm2d: its buffers, and its logits in evaluation
// mode. running_var and num_batches_tracked are checked tightly. running_mean averages the
// batch means of the 3 passes, which include the convolution biases that Adam moved by about lr
// in a noise-picked direction (see zero_gradient), so it is checked within 0.6 lr (the most
// 0.081 m1 + 0.09 m2 + 0.1 m3 can move when each bias moved up to 3.005 lr); after_forward1
// checked it tightly at the first pass. The evaluation-mode logits are computed from PyTorch's
// own state after the steps (for the same reason), so they test the evaluation-mode pass alone.
template <class Net>
void check_buffers_and_evaluation(const Fixture& f, const Params<Net>& params, const std::string& where,
                                  Batch<Net::input_shape> input, const std::vector<std::uint8_t>& labels,
                                  ThreadPool& pool) {
  const double lr = std::stod(f.meta("lr"));
  SafetensorsFile state;
  for (const Tensor& t : f.file.tensors)
    if (t.name.starts_with("expected.after_adam3.")) {
      Tensor renamed = t;
      renamed.name = t.name.substr(std::string("expected.after_adam3.").size());
      state.tensors.push_back(std::move(renamed));
    }
  const Params<Net> torch_state = params_from_checkpoint<Net>(state, f.path);
  for (const NetTensor& t : Net::buffer_tensors) {
    const std::string what = where + " " + t.name() + " after the Adam steps";
    if (t.tensor.integer) {
      INFO(what);
      CHECK(params.counter(t)[0] == torch_state.counter(t)[0]);
    } else if (t.tensor.suffix == "running_mean") {
      double worst = 0.0;
      for (std::size_t i = 0; i < t.tensor.count(); ++i)
        worst = std::max(worst, std::abs(double(params.tensor(t)[i]) - torch_state.tensor(t)[i]) / lr);
      INFO(what << ": largest |ours - torch| " << worst << " lr");
      CHECK(worst <= 0.6);
    } else {
      check_close("buffers", what, params.tensor(t), f.get("expected.after_adam3." + t.name()), 0.0, buffer_atol);
    }
  }
  Workspace<Net> ws(input.count, pool.size());
  evaluate(torch_state, input, labels.data(), ws, pool);
  check_close("logits", where + " evaluation-mode logits", workspace_logits(ws, input.count),
              f.get("expected.eval_logits"), 0.0, logits_atol);
}

// What a fixture starts from: the initial weights (through the checkpoint loader, which checks
// names and shapes against Net), the batch, and the loss's lambda and reduction.
template <class Net>
struct FixtureStart {
  Params<Net> params;
  std::vector<std::uint8_t> labels;
  Batch<Net::input_shape> input;
  TrainOptions options;

  explicit FixtureStart(const Fixture& f) {
    REQUIRE(f.meta("architecture") == std::string(Net::architecture.view()));
    SafetensorsFile weights;
    for (const Tensor& t : f.file.tensors)
      if (!t.name.starts_with("input.") && !t.name.starts_with("expected.")) weights.tensors.push_back(t);
    params = params_from_checkpoint<Net>(weights, f.path);

    const Tensor& images = f.get("input.images");
    const Tensor& label_values = f.get("input.labels");
    const int batch = int(label_values.values.size());
    REQUIRE(images.values.size() == std::size_t(batch) * Net::input_shape.size());
    for (float y : label_values.values) {
      REQUIRE((y >= 0.0f && y < float(Net::output_shape.size()) && y == std::floor(y)));
      labels.push_back(std::uint8_t(y));
    }
    input = {images.values.data(), batch};

    const std::string reduction = f.meta("reduction");
    REQUIRE((reduction == "mean" || reduction == "sum"));
    options.lambda = std::stof(f.meta("lambda"));
    options.reduction = reduction == "mean" ? Reduction::mean : Reduction::sum;
  }
};

template <class Net>
void run_fixture(const std::string& name, int threads) {
  const Fixture f = load_fixture(name);
  const std::string where =
      name + " (" + std::to_string(threads) + " thread" + (threads > 1 ? "s" : "") + ")";
  INFO(where);
  FixtureStart<Net> fixture(f);
  Params<Net>& params = fixture.params;
  const Params<Net> initial = params;
  const std::vector<std::uint8_t>& labels = fixture.labels;
  const Batch<Net::input_shape> input = fixture.input;
  const int batch = input.count;
  TrainOptions options = fixture.options;
  options.adam.lr = std::stof(f.meta("lr"));
  const int steps = std::stoi(f.meta("steps"));
  const double lr = options.adam.lr;
  ThreadPool pool(threads);

  // Biases whose gradient is exactly 0 (a convolution's bias before BatchNorm2d, which
  // subtracts the batch mean): PyTorch's float64 value is rounding noise, so they are compared
  // on the scale of every gradient, and after Adam (which then moves them by about lr in a
  // direction the noise picks) only bounded by Adam's reach.
  const std::string zero_gradient = "," + f.meta("zero_gradient") + ",";
  auto has_zero_gradient = [&](const NetTensor& t) { return zero_gradient.find("," + t.name() + ",") != std::string::npos; };

  // The forward pass: in evaluation mode where that is the same function (no batch-coupled
  // layer), through the trainer's training-mode pass otherwise (below).
  auto check_logits = [&](const std::string& kind, const std::string& what, Workspace<Net>& ws, const Tensor& torch) {
    check_close(kind, where + " " + what, workspace_logits(ws, batch), torch, 0.0, logits_atol);
  };
  if constexpr (!Net::batch_coupled) {
    Workspace<Net> ws(batch, pool.size());
    evaluate(params, input, labels.data(), ws, pool);
    check_logits("logits", "logits", ws, f.get("expected.logits"));
  }

  // The loss and the gradients at the initial weights.
  Trainer<Net> trainer(params, options, pool, batch);
  const StepStats stats = trainer.compute_gradients(input, labels.data());
  if constexpr (Net::batch_coupled) {
    check_logits("logits", "training-mode logits", trainer.workspace(), f.get("expected.logits"));
    // The running statistics after that one training-mode pass, then back to the initial ones
    // for the steps below (PyTorch's run made 3 passes, not 4).
    for (const NetTensor& t : Net::buffer_tensors) {
      const Tensor& expected = f.get("expected.after_forward1." + t.name());
      if (t.tensor.integer) {
        CHECK(params.counter(t)[0] == expected.integers.at(0));
      } else {
        check_close("buffers", where + " " + t.name() + " after one forward pass", params.tensor(t), expected, 0.0,
                    buffer_atol);
      }
    }
    std::ranges::copy(initial.buffers(), params.buffers().begin());
    std::ranges::copy(initial.counters(), params.counters().begin());
  }
  check_loss("loss", where + " loss", stats.loss, f.get("expected.loss").values.at(0), loss_rtol);
  double largest_gradient = 0.0;
  for (const NetTensor& t : Net::tensors)
    largest_gradient = std::max(largest_gradient, max_abs(f.get("expected.grad." + t.name()).values));
  for (const NetTensor& t : Net::tensors) {
    const auto g = std::span<const float>(trainer.gradients()).subspan(t.offset, t.tensor.count());
    const Tensor& expected = f.get("expected.grad." + t.name());
    if (has_zero_gradient(t)) {
      double worst = 0.0;
      for (std::size_t i = 0; i < g.size(); ++i) worst = std::max(worst, std::abs(double(g[i]) - expected.values[i]));
      INFO(where << " grad " << t.name() << " (exactly 0 in exact arithmetic): largest |ours - torch| " << worst
                 << ", allowed " << grad_atol << " * " << largest_gradient);
      CHECK(worst <= grad_atol * largest_gradient);
    } else {
      check_close("grad", where + " grad " + t.name(), g, expected, grad_rtol, grad_atol);
    }
  }

  // The Adam steps, keeping the gradients each one used.
  const Tensor& step_losses = f.get("expected.step_losses");
  REQUIRE(step_losses.values.size() == std::size_t(steps));
  std::vector<std::vector<float>> used;
  for (int k = 0; k < steps; ++k) {
    const StepStats s = trainer.step(input, labels.data());
    used.emplace_back(trainer.gradients().begin(), trainer.gradients().end());
    check_loss(k == 0 ? "loss" : "step_loss", where + " loss of step " + std::to_string(k + 1),
               s.loss, step_losses.values[std::size_t(k)], k == 0 ? loss_rtol : step_loss_rtol);
  }

  const double reach = 2.0 * adam_reach(steps);
  for (const NetTensor& t : Net::tensors) {
    const std::string what = where + " after " + std::to_string(steps) + " Adam steps, " + t.name();
    const Tensor& expected = f.get("expected.after_adam3." + t.name());
    const auto ours = params.tensor(t);
    const auto start = initial.tensor(t);
    REQUIRE(expected.values.size() == ours.size());

    // 1. Adam replayed in double on the gradients linconv used.
    double replay_worst = 0.0, replay_worst_lr = 0.0;
    std::size_t replay_at = 0;
    double replay_at_value = 0.0;
    // 2. The distance to PyTorch's weights, in lr, less the weight's roundings.
    std::vector<double> excess(ours.size());
    std::size_t far = 0;
    std::string far_examples;
    for (std::size_t i = 0; i < ours.size(); ++i) {
      double w = start[i], m = 0.0, v = 0.0;
      for (int k = 1; k <= steps; ++k) {
        const double g = used[std::size_t(k - 1)][t.offset + i];
        m = torch_beta1 * m + (1 - torch_beta1) * g;
        v = torch_beta2 * v + (1 - torch_beta2) * g * g;
        w -= lr / (1 - std::pow(torch_beta1, k)) * m /
             (std::sqrt(v) / std::sqrt(1 - std::pow(torch_beta2, k)) + torch_eps);
      }
      const double d = std::abs(double(ours[i]) - w);
      const double allowed =
          replay_rtol * (std::abs(double(start[i])) + 3 * lr) + replay_atol_lr * lr;
      if (d / allowed > replay_worst) {
        replay_worst = d / allowed;
        replay_at = i;
        replay_at_value = w;
      }
      replay_worst_lr = std::max(replay_worst_lr, d / lr);

      const double torch = expected.values[i];
      excess[i] =
          std::max(0.0, std::abs(double(ours[i]) - torch) - weight_rounding * std::abs(torch)) / lr;
      if (excess[i] > p99_lr && ++far <= 8) {
        std::ostringstream e;
        e.precision(3);
        e << " [" << i << "] " << excess[i] << " lr (gradients";
        for (int k = 0; k < steps; ++k) e << " " << used[std::size_t(k)][t.offset + i];
        far_examples += e.str() + ")";
      }
    }
    {
      std::ostringstream message;
      message.precision(9);
      message << what << ", Adam replayed in double: worst element " << replay_at << ": initial "
              << start[replay_at] << ", ours " << ours[replay_at] << ", replay " << replay_at_value
              << " = " << replay_worst << " x allowed";
      note("adam_replay", replay_worst, replay_worst_lr, "lr", message.str());
      INFO(message.str());
      CHECK(replay_worst <= 1.0);
    }
    if (has_zero_gradient(t)) {
      double moved = 0.0;
      for (std::size_t i = 0; i < ours.size(); ++i) moved = std::max(moved, std::abs(double(ours[i]) - start[i]) / lr);
      INFO(what << " (gradient 0 up to rounding): moved at most " << moved << " lr, Adam's reach " << reach / 2);
      CHECK(moved <= reach / 2 + 1e-3);
    } else {
      const auto worst = std::ranges::max_element(excess);
      const std::size_t at = std::size_t(worst - excess.begin());
      const double median = quantile(excess, 0.5), p99 = quantile(excess, 0.99);
      std::ostringstream message;
      message.precision(9);
      message << what << " vs torch, beyond rounding: median " << median << " lr (allowed "
              << median_lr << "), 99th percentile " << p99 << " lr (allowed " << p99_lr
              << "), worst element " << at << ": initial " << start[at] << ", ours " << ours[at]
              << ", torch " << expected.values[at] << ", " << *worst << " lr (allowed " << reach
              << "); " << far << " element(s) over " << p99_lr << " lr" << (far ? ":" : "")
              << far_examples;
      note("adam_vs_torch", std::max({median / median_lr, p99 / p99_lr, *worst / reach}), *worst,
           "lr", message.str());
      note("adam_vs_torch_median", median / median_lr, median, "lr", what);
      note("adam_vs_torch_p99", p99 / p99_lr, p99, "lr", what);
      INFO(message.str());
      CHECK(median <= median_lr);
      CHECK(p99 <= p99_lr);
      CHECK(*worst <= reach);
    }
  }
  if constexpr (Net::batch_coupled) check_buffers_and_evaluation<Net>(f, params, where, input, labels, pool);
}

template <class Net>
void run_both_thread_counts(const std::string& name) {
  for (int threads : {1, 2}) run_fixture<Net>(name, threads);
  const char* report = std::getenv("LINCONV_GOLDEN_REPORT");
  if (report && *report && std::string(report) != "0") {
    for (const auto& [kind, w] : worst_by_kind())
      std::printf("golden %-21s worst %.3g x allowed, largest error %.3g %s\n    at %s\n",
                  kind.c_str(), w.ratio, w.scaled, w.unit.c_str(), w.where.c_str());
  }
  worst_by_kind().clear();
}

// One plain SGD step (torch.optim.SGD without momentum) from the fixture's weights: PyTorch's
// step in float64 is w - lr * g with its gradient g, so ours must be within lr times the
// gradient tolerance of it, plus a rounding of the weight.
template <class Net>
void check_sgd_step(const std::string& name) {
  const Fixture f = load_fixture(name);
  INFO(name);
  FixtureStart<Net> start(f);
  const Params<Net> initial = start.params;
  constexpr float lr = 0.1f;
  TrainOptions options = start.options;
  options.optimizer = Optimizer::sgd;
  options.sgd.lr = lr;
  ThreadPool pool(2);
  Trainer<Net> trainer(start.params, options, pool, start.input.count);
  trainer.step(start.input, start.labels.data());
  for (const NetTensor& t : Net::tensors) {
    const Tensor& g = f.get("expected.grad." + t.name());
    const double largest = max_abs(g.values);
    const auto ours = start.params.tensor(t), before = initial.tensor(t);
    double worst = 0.0;
    std::size_t at = 0;
    for (std::size_t i = 0; i < ours.size(); ++i) {
      const double torch = double(before[i]) - double(lr) * g.values[i];
      const double allowed = double(lr) * (grad_rtol * std::abs(g.values[i]) + grad_atol * largest) +
                             weight_rounding * std::abs(torch);
      if (std::abs(ours[i] - torch) / allowed > worst) {
        worst = std::abs(ours[i] - torch) / allowed;
        at = i;
      }
    }
    INFO(t.name() << " after one SGD step: worst element " << at << ", " << worst << " x allowed");
    CHECK(worst <= 1.0);
  }
}

}  // namespace

TEST_CASE("golden: one SGD step is PyTorch's, under both reductions", "[golden]") {
  check_sgd_step<FashionNetWith<ReLUAlpha>>("alpha_mean.safetensors");
  check_sgd_step<FashionNetWith<ReLUAlpha>>("alpha_sum.safetensors");
}

TEST_CASE("golden: ReLUAlpha net with mean reduction", "[golden]") {
  run_both_thread_counts<FashionNetWith<ReLUAlpha>>("alpha_mean.safetensors");
}
TEST_CASE("golden: ReLUAlpha net with sum reduction", "[golden]") {
  run_both_thread_counts<FashionNetWith<ReLUAlpha>>("alpha_sum.safetensors");
}
TEST_CASE("golden: ReLU net with mean reduction", "[golden]") {
  run_both_thread_counts<FashionNetWith<ReLU>>("relu_mean.safetensors");
}
TEST_CASE("golden: ReLU net with sum reduction", "[golden]") {
  run_both_thread_counts<FashionNetWith<ReLU>>("relu_sum.safetensors");
}
TEST_CASE("golden: Identity net with mean reduction", "[golden]") {
  run_both_thread_counts<FashionNetWith<Identity>>("linear_mean.safetensors");
}
TEST_CASE("golden: Identity net with sum reduction", "[golden]") {
  run_both_thread_counts<FashionNetWith<Identity>>("linear_sum.safetensors");
}

TEST_CASE("golden: first-attempt network (BatchNorm2d, max pools), ReLUAlpha, mean reduction", "[golden]") {
  run_both_thread_counts<FashionNetBnPoolWith<ReLUAlpha>>("bnpool_alpha_mean.safetensors");
}
TEST_CASE("golden: first-attempt network, ReLUAlpha, sum reduction", "[golden]") {
  run_both_thread_counts<FashionNetBnPoolWith<ReLUAlpha>>("bnpool_alpha_sum.safetensors");
}
TEST_CASE("golden: first-attempt network, ReLU, mean reduction", "[golden]") {
  run_both_thread_counts<FashionNetBnPoolWith<ReLU>>("bnpool_relu_mean.safetensors");
}
TEST_CASE("golden: first-attempt network, ReLU, sum reduction", "[golden]") {
  run_both_thread_counts<FashionNetBnPoolWith<ReLU>>("bnpool_relu_sum.safetensors");
}
TEST_CASE("golden: first-attempt network, Identity, mean reduction", "[golden]") {
  run_both_thread_counts<FashionNetBnPoolWith<Identity>>("bnpool_linear_mean.safetensors");
}
TEST_CASE("golden: first-attempt network, Identity, sum reduction", "[golden]") {
  run_both_thread_counts<FashionNetBnPoolWith<Identity>>("bnpool_linear_sum.safetensors");
}

// Every new layer and parameter shape at once: per-channel alphas before and after pools,
// a BatchNorm2d after the last convolution, an average pool and an overlapping 3x3/2 max pool.
using MixedNet = Sequential<Input<1, 28, 28>, Conv<8, 5, 1, 2>, BatchNorm2d, ReLUAlphaPerChannel, MaxPool2d<2>,
                            Conv<16, 5, 1, 2>, ReLUAlpha, AvgPool2d<2>, Conv<32, 3, 1, 1>, BatchNorm2d,
                            ReLUAlphaPerChannel, MaxPool2d<3, 2>, Flatten, Dense<10>>;

TEST_CASE("golden: every new layer (per-channel alphas, both pools, BatchNorm2d), mean reduction", "[golden]") {
  run_both_thread_counts<MixedNet>("mixed_alpha_mean.safetensors");
}
TEST_CASE("golden: every new layer, sum reduction", "[golden]") {
  run_both_thread_counts<MixedNet>("mixed_alpha_sum.safetensors");
}
