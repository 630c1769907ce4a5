#include "linconv/thread_pool.hpp"

#include <algorithm>
#include <string>
#include <system_error>

#include "linconv/error.hpp"

namespace linconv {

ThreadPool::ThreadPool(int threads) : threads_(std::max(1, threads)) {
  try {
    workers_.reserve(std::size_t(threads_ - 1));
    for (int i = 1; i < threads_; ++i) workers_.emplace_back([this, i] { work(i); });
  } catch (const std::system_error& e) {
    // The destructor does not run for a half-made pool, and a running std::thread destroyed
    // unjoined would end the program: stop the workers started so far here.
    stop();
    throw Error("cannot start thread " + std::to_string(workers_.size() + 2) + " of " + std::to_string(threads_) +
                ": " + e.what());
  }
}

ThreadPool::~ThreadPool() { stop(); }

void ThreadPool::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::run_task(TaskRef task) {
  {
    std::lock_guard lock(mutex_);
    task_ = task;
    error_ = nullptr;
    pending_ = threads_ - 1;
    ++generation_;
  }
  wake_.notify_all();
  std::exception_ptr own_error;
  try {
    task(0);
  } catch (...) {
    own_error = std::current_exception();
  }
  std::unique_lock lock(mutex_);
  done_.wait(lock, [this] { return pending_ == 0; });
  task_ = {};
  if (own_error) std::rethrow_exception(own_error);
  if (error_) std::rethrow_exception(error_);
}

void ThreadPool::work(int index) {
  unsigned long seen = 0;
  for (;;) {
    TaskRef task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
      task = task_;
    }
    std::exception_ptr error;
    try {
      task(index);
    } catch (...) {
      error = std::current_exception();
    }
    std::lock_guard lock(mutex_);
    if (error && !error_) error_ = error;
    if (--pending_ == 0) done_.notify_one();
  }
}

}  // namespace linconv
