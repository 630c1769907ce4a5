#pragma once
// A fixed set of worker threads that run one task at a time, each worker with its own index.
// Work is split statically (by index), so a given thread count always computes the same thing
// in the same order: results are deterministic for a fixed thread count.
#include <algorithm>
#include <condition_variable>
#include <exception>
#include <type_traits>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace linconv {

// One thread per core the system reports (at least one).
inline int default_thread_count() { return int(std::max(1u, std::thread::hardware_concurrency())); }

// The most threads a --threads (or --jobs) flag may ask for: 4 per core, and 64 on any machine,
// so that a run made with more threads than this machine has cores can be repeated here bit for
// bit. Beyond it threads only cost memory (a stack each) and, by the thousand, the machine's
// process table.
inline int max_thread_count() { return std::max(64, 4 * default_thread_count()); }

class ThreadPool {
 public:
  // Starts threads - 1 workers. Throws linconv::Error naming the thread when one cannot start
  // (after stopping those that did).
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return threads_; }

  // Runs task(index) for index in [0, size()), the caller's thread taking index 0; returns when
  // all are done. An exception thrown by a task is rethrown here (the first one). The task is
  // called through a reference: nothing is allocated.
  template <class Task>
  void run(Task&& task) {
    run_task(TaskRef{&task, [](void* object, int index) { (*static_cast<std::remove_reference_t<Task>*>(object))(index); }});
  }

  // The part [begin, end) of `count` items that worker `index` of `workers` takes.
  static std::pair<int, int> split(int count, int index, int workers) {
    const int base = count / workers, extra = count % workers;
    const int begin = index * base + std::min(index, extra);
    return {begin, begin + base + (index < extra ? 1 : 0)};
  }

 private:
  void work(int index);
  void stop();  // ends and joins the workers

  int threads_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  // A type-erased reference to the caller's task.
  struct TaskRef {
    void* object = nullptr;
    void (*call)(void*, int) = nullptr;
    void operator()(int index) const { call(object, index); }
  };
  void run_task(TaskRef task);

  TaskRef task_;
  std::exception_ptr error_;
  unsigned long generation_ = 0;
  int pending_ = 0;
  bool stopping_ = false;
};

}  // namespace linconv
