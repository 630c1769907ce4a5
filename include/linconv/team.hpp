#pragma once
// Team: the threads that share one batch, and the place where they meet.
//
// The engine gives each thread of a pool its own slice of the batch and runs the slice through
// every layer without waiting for the others. A batch-coupled layer (BatchNorm2d in training
// mode) needs a statistic of the whole batch: each thread sums over its own images, then
// Team::sum adds the threads' partial sums *in thread order* and hands the same total to every
// thread. The order is fixed, so a given thread count is deterministic; another split of the
// batch adds the same numbers in another grouping, which changes only the last bits (the partial
// sums are doubles).
//
// One std::barrier per sum. The exchange area alternates between two halves from one call to the
// next: a thread can write the partial sums of call k + 1 while a slower one still reads the
// totals of call k, but it cannot reach call k + 2 (the same half again) before every thread has
// arrived at call k + 1, that is, finished reading call k.
#include <algorithm>
#include <barrier>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "linconv/error.hpp"

namespace linconv {

class Team {
 public:
  // A team of `threads` whose sums have at most `max_values` values.
  Team(int threads, std::size_t max_values)
      : threads_(threads),
        max_values_(max_values),
        barrier_(threads),
        exchange_(2 * std::size_t(threads) * max_values),
        calls_(std::size_t(threads) * kCallStride, 0) {}
  Team(const Team&) = delete;
  Team& operator=(const Team&) = delete;

  int size() const { return threads_; }

  // Every thread of the team calls this with its index and the same number of values; each gets
  // in `total` the sum of all threads' `mine`, added in thread order. Allocates nothing.
  void sum(int thread, std::span<const double> mine, std::span<double> total) {
    if (mine.size() > max_values_ || total.size() != mine.size())
      throw Error("Team::sum: " + std::to_string(mine.size()) + " values for a team sized for " +
                  std::to_string(max_values_));
    if (threads_ == 1) {
      std::copy(mine.begin(), mine.end(), total.begin());
      return;
    }
    std::size_t& calls = calls_[std::size_t(thread) * kCallStride];
    double* half = exchange_.data() + (calls++ % 2) * std::size_t(threads_) * max_values_;
    std::copy(mine.begin(), mine.end(), half + std::size_t(thread) * max_values_);
    barrier_.arrive_and_wait();
    std::fill(total.begin(), total.end(), 0.0);
    for (int t = 0; t < threads_; ++t) {
      const double* part = half + std::size_t(t) * max_values_;
      for (std::size_t i = 0; i < total.size(); ++i) total[i] += part[i];
    }
  }

 private:
  static constexpr std::size_t kCallStride = 8;  // one cache line per thread's counter
  int threads_;
  std::size_t max_values_;
  std::barrier<> barrier_;
  std::vector<double> exchange_;
  std::vector<std::size_t> calls_;
};

}  // namespace linconv
