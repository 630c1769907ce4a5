#pragma once
// The generic finite-difference checker every gradient test uses. For a function f of a float
// vector whose analytic gradient is known, it compares each component with the central
// difference (f(v + eps) - f(v - eps)) / 2 eps, f accumulated in double.
//
// The networks are piecewise linear in their inputs: where a step crosses a kink of ReLU_alpha
// the central difference is meaningless. Such a coordinate is recognised by its second
// difference |f(v+eps) - 2 f(v) + f(v-eps)| exceeding `kink_tolerance`, reported, and not
// compared; the caller bounds how many may be skipped (zero for the layer checks, whose inputs
// are kept away from 0).
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "linconv/rng.hpp"

namespace linconv::testing {

struct GradientCheck {
  double eps = 1e-2;
  double tolerance = 2e-3;       // |analytic - numeric| <= tolerance * max(1, |numeric|)
  double kink_tolerance = 1e30;  // second differences above this mark a kink
  std::size_t max_kinks = 0;
};

struct CheckResult {
  std::size_t checked = 0;
  std::size_t kinks = 0;
  double worst = 0.0;  // largest error relative to max(1, |numeric|)
};

// Compares analytic[i] with the central difference of f in values[i], for the given indices
// (all when empty). values is restored afterwards.
inline CheckResult check_gradient(const std::string& what, std::span<float> values,
                                  std::span<const float> analytic,
                                  const std::function<double()>& f, const GradientCheck& options,
                                  std::vector<std::size_t> indices = {}) {
  if (indices.empty())
    for (std::size_t i = 0; i < values.size(); ++i) indices.push_back(i);
  CheckResult result;
  const double f0 = f();
  for (std::size_t i : indices) {
    const float saved = values[i];
    values[i] = static_cast<float>(saved + options.eps);
    const double plus = f();
    values[i] = static_cast<float>(saved - options.eps);
    const double minus = f();
    values[i] = saved;
    if (std::abs(plus - 2 * f0 + minus) > options.kink_tolerance) {
      ++result.kinks;
      continue;
    }
    const double numeric = (plus - minus) / (2 * options.eps);
    const double error = std::abs(analytic[i] - numeric) / std::max(1.0, std::abs(numeric));
    result.worst = std::max(result.worst, error);
    ++result.checked;
    if (error > options.tolerance) {
      std::ostringstream message;
      message << what << "[" << i << "]: analytic " << analytic[i] << ", numeric " << numeric;
      FAIL_CHECK(message.str());
    }
  }
  INFO(what << ": " << result.checked << " compared, " << result.kinks << " at kinks, worst "
            << result.worst);
  CHECK(result.kinks <= options.max_kinks);
  CHECK(result.checked > 0);
  return result;
}

// Uniform values in [-1, 1], at least `gap` away from 0 (to stay clear of activation kinks).
inline std::vector<float> random_values(std::size_t n, Rng& rng, float gap = 0.0f) {
  std::vector<float> v(n);
  for (float& x : v) {
    const float magnitude = rng.uniform(gap, 1.0f);
    x = rng.uniform() < 0.5f ? -magnitude : magnitude;
  }
  return v;
}

// Every `stride`-th index below n, starting at `first`: a deterministic sample of coordinates.
inline std::vector<std::size_t> sample_indices(std::size_t n, std::size_t stride, std::size_t first = 0) {
  std::vector<std::size_t> indices;
  for (std::size_t i = first % std::max<std::size_t>(n, 1); i < n; i += stride) indices.push_back(i);
  return indices;
}

}  // namespace linconv::testing
