// Intervals and tests over seeds (statistics.hpp), with Boost.Math's Student t distribution.
#include "statistics.hpp"

#include <algorithm>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>

namespace linconv::cli {
namespace {

struct Moments {
  double mean = 0.0, variance = 0.0;  // sample variance, n - 1
  double n = 0.0;
};

Moments moments(std::span<const double> values) {
  Moments m;
  m.n = double(values.size());
  for (double v : values) m.mean += v;
  m.mean /= m.n;
  for (double v : values) m.variance += (v - m.mean) * (v - m.mean);
  m.variance /= m.n - 1.0;
  return m;
}

// The two-sided quantile: P(|T| <= t) = confidence for T with df degrees of freedom.
double t_quantile(double df) {
  return boost::math::quantile(boost::math::students_t(df), 0.5 + confidence / 2.0);
}

}  // namespace

std::optional<Interval> mean_interval(std::span<const double> values) {
  if (values.size() < 2) return std::nullopt;
  const Moments m = moments(values);
  const double half = t_quantile(m.n - 1.0) * std::sqrt(m.variance / m.n);
  return Interval{m.mean - half, m.mean + half};
}

std::optional<Difference> welch(std::span<const double> a, std::span<const double> b) {
  if (a.size() < 2 || b.size() < 2) return std::nullopt;
  const Moments x = moments(a), y = moments(b);
  const double va = x.variance / x.n, vb = y.variance / y.n, se2 = va + vb;
  Difference d;
  d.difference = x.mean - y.mean;
  if (se2 == 0.0) {  // no spread on either side: the difference is what it is
    d.interval = {d.difference, d.difference};
    d.df = x.n + y.n - 2.0;
    d.p = d.difference == 0.0 ? 1.0 : 0.0;
    return d;
  }
  // Welch-Satterthwaite; a side without spread contributes nothing.
  d.df = se2 * se2 / ((va > 0.0 ? va * va / (x.n - 1.0) : 0.0) + (vb > 0.0 ? vb * vb / (y.n - 1.0) : 0.0));
  const double se = std::sqrt(se2), half = t_quantile(d.df) * se;
  d.interval = {d.difference - half, d.difference + half};
  d.p = 2.0 * boost::math::cdf(boost::math::complement(boost::math::students_t(d.df), std::abs(d.difference) / se));
  return d;
}

double last_epoch_change(std::span<const double> values) {
  const std::size_t n = values.size();
  if (n < 2) return 0.0;
  const double x_mean = double(n - 1) / 2.0;
  double y_mean = 0.0;
  for (double v : values) y_mean += v;
  y_mean /= double(n);
  double sxy = 0.0, sxx = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double dx = double(i) - x_mean;
    sxy += dx * (values[i] - y_mean);
    sxx += dx * dx;
  }
  return sxy / sxx * double(n - 1);
}

double median(std::vector<double> values) {
  if (values.empty()) return 0.0;
  const auto upper = values.begin() + std::ptrdiff_t(values.size() / 2);
  std::nth_element(values.begin(), upper, values.end());
  if (values.size() % 2 == 1) return *upper;
  return (*upper + *std::max_element(values.begin(), upper)) / 2.0;
}

}  // namespace linconv::cli
