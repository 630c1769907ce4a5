#pragma once
// The statistics of the study's report, over seeds: a run is one draw of a setting (its
// initialisation and shuffling come from the seed), and a setting's outcome (test accuracy, a
// final alpha) is summarised by its draws.
//
//   mean_interval(v)     the 95% confidence interval of the mean: mean +- t * s / sqrt(n), with
//                        s the sample standard deviation and t the 97.5% quantile of Student's
//                        t with n - 1 degrees of freedom;
//   welch(a, b)          mean(a) - mean(b), its 95% interval and the two-sided p-value of
//                        Welch's t test (unequal variances; Welch-Satterthwaite degrees of
//                        freedom), for two settings run with separate seeds;
//   last_epoch_change(s) the change of a quantity over a run's last epoch that a least-squares
//                        line through its steps gives: whether an alpha has settled;
//   median(v)            the middle value (the mean of the two middle ones for an even count):
//                        a time measured on a shared machine, where a few slow outliers would
//                        pull a mean up.
//
// The quantiles and tails are Boost.Math's (students_t): no table, no approximation here.
// With the few seeds a study affords (3 to 10), t's quantile is large (4.30 for 3 seeds, 2.26
// for 10): the intervals say how little three seeds pin down.
#include <optional>
#include <span>
#include <vector>

namespace linconv::cli {

struct Interval {
  double low = 0.0, high = 0.0;
  bool contains(double x) const { return low <= x && x <= high; }
};

// The confidence level of every interval and test of the report.
inline constexpr double confidence = 0.95;

// The interval of the mean of `values`; none for fewer than two values.
std::optional<Interval> mean_interval(std::span<const double> values);

struct Difference {
  double difference = 0.0;  // mean(a) - mean(b)
  Interval interval;        // its 95% interval
  double df = 0.0;          // Welch-Satterthwaite degrees of freedom
  double p = 1.0;           // two-sided p-value of "the means are equal"
};
// Welch's comparison of two samples; none when either has fewer than two values. Two samples
// without any spread (every value equal in each) give a zero-width interval, and p = 1 when
// the means are equal, 0 when they are not.
std::optional<Difference> welch(std::span<const double> a, std::span<const double> b);

// The least-squares line through (i, values[i]), i = 0 .. n-1, evaluated over the whole span:
// slope * (n - 1). For the steps of a run's last epoch, the change over that epoch with the
// step-to-step noise (Adam's steps, the batches) averaged out. 0 for fewer than two values.
double last_epoch_change(std::span<const double> values);

// The median of `values`; 0 for none.
double median(std::vector<double> values);

}  // namespace linconv::cli
