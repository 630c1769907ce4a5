// The report's statistics (src/study/statistics.hpp) against values computed by hand: Student's
// t with 1 and 2 degrees of freedom has a closed form (df 1 is the Cauchy distribution:
// P(T > t) = 1/2 - atan(t) / pi; df 2: P(T > t) = 1/2 - t / (2 sqrt(2 + t^2))), so quantiles and
// p-values there need no table.
#include <catch2/catch.hpp>
#include <cmath>
#include <numbers>
#include <vector>

#include "statistics.hpp"
#include "study.hpp"

using namespace linconv::cli;

TEST_CASE("statistics: the mean's 95% interval uses Student's t with n - 1 degrees of freedom", "[statistics]") {
  // df 2: the 97.5% quantile solves t / (2 sqrt(2 + t^2)) = 0.475, t = sqrt(2 * 0.95^2 / (1 - 0.95^2)).
  const double t2 = std::sqrt(2.0 * 0.95 * 0.95 / (1.0 - 0.95 * 0.95));
  const std::vector<double> three{1.0, 2.0, 3.0};  // mean 2, s 1
  const auto interval = mean_interval(three);
  REQUIRE(interval);
  CHECK(interval->low == Approx(2.0 - t2 / std::sqrt(3.0)).epsilon(1e-12));
  CHECK(interval->high == Approx(2.0 + t2 / std::sqrt(3.0)).epsilon(1e-12));
  // df 1: tan(0.475 pi) = 12.706...
  const std::vector<double> two{0.0, 2.0};  // mean 1, s sqrt(2)
  const auto wide = mean_interval(two);
  REQUIRE(wide);
  CHECK(wide->high - 1.0 == Approx(std::tan(0.475 * std::numbers::pi) * std::sqrt(2.0) / std::sqrt(2.0)).epsilon(1e-12));
  CHECK_FALSE(mean_interval(std::vector<double>{0.5}));
}

TEST_CASE("statistics: Welch's test, its degrees of freedom and p-value", "[statistics]") {
  // Equal variances and sizes: df = 2 (n - 1) = 2; t = 3 / sqrt(2), two-sided p = 1 - t / sqrt(2 + t^2).
  const std::vector<double> a{0.0, 2.0}, b{3.0, 5.0};
  const auto d = welch(a, b);
  REQUIRE(d);
  const double t = 3.0 / std::sqrt(2.0), t2 = std::sqrt(2.0 * 0.95 * 0.95 / (1.0 - 0.95 * 0.95));
  CHECK(d->difference == -3.0);
  CHECK(d->df == Approx(2.0).epsilon(1e-12));
  CHECK(d->p == Approx(1.0 - t / std::sqrt(2.0 + t * t)).epsilon(1e-10));
  CHECK(d->interval.low == Approx(-3.0 - t2 * std::sqrt(2.0)).epsilon(1e-12));
  CHECK(d->interval.high == Approx(-3.0 + t2 * std::sqrt(2.0)).epsilon(1e-12));

  // One side without spread: df = (n_a - 1) = 1, the Cauchy tail: p = 1 - 2 atan(t) / pi, t = 4.
  const std::vector<double> spread{0.0, 2.0}, fixed{5.0, 5.0};
  const auto c = welch(spread, fixed);
  REQUIRE(c);
  CHECK(c->df == Approx(1.0).epsilon(1e-12));
  CHECK(c->p == Approx(1.0 - 2.0 * std::atan(4.0) / std::numbers::pi).epsilon(1e-10));
  CHECK(c->interval.high == Approx(-4.0 + std::tan(0.475 * std::numbers::pi)).epsilon(1e-12));

  // Neither side has spread: the difference is certain.
  const std::vector<double> zeros{0.0, 0.0, 0.0}, ones{1.0, 1.0};
  CHECK(welch(zeros, ones)->p == 0.0);
  CHECK(welch(zeros, zeros)->p == 1.0);
  CHECK_FALSE(welch(std::vector<double>{1.0}, ones));
}

TEST_CASE("statistics: the change over an epoch is the least-squares line's", "[statistics]") {
  CHECK(last_epoch_change(std::vector<double>{3.0, 3.5, 4.0, 4.5, 5.0}) == Approx(2.0).epsilon(1e-12));
  CHECK(last_epoch_change(std::vector<double>{0.0, 1.0, 0.0, 1.0, 0.0}) == Approx(0.0).margin(1e-12));
  // Noise around a fall of 0.3: the line recovers it (hand-computed: slope -0.075 over 4 steps).
  CHECK(last_epoch_change(std::vector<double>{1.0, 0.95, 0.8, 0.8, 0.7}) == Approx(-0.3).epsilon(1e-12));
  CHECK(last_epoch_change(std::vector<double>{0.4}) == 0.0);
}

TEST_CASE("statistics: the report's numbers that round to zero carry no minus sign", "[statistics]") {
  CHECK(format("%.3f ± %.3f", -1e-5, 2e-4) == "0.000 ± 0.000");
  CHECK(format("[%.2f, %.2f]", -0.004, 0.004) == "[0.00, 0.00]");
  CHECK(format("%.2f / %.2f / %.2f", -0.0, -0.006, -0.3) == "0.00 / -0.01 / -0.30");
  CHECK(format("%g", -0.0) == "0");
  CHECK(format("%.1f to %.1f", -10.04, -0.04) == "-10.0 to 0.0");
}

TEST_CASE("statistics: the median is the middle value, or the mean of the two middle ones", "[statistics]") {
  CHECK(median({40.0, 200.0, 38.0}) == 40.0);
  CHECK(median({41.0, 38.0, 200.0, 39.0}) == 40.0);
  CHECK(median({7.5}) == 7.5);
  CHECK(median({}) == 0.0);
}
