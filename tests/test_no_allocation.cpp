// A training step, an inference pass and Model::predict allocate nothing once their workspace
// exists (for Model, once the calling thread has made its buffers), for the report's network
// and the first attempt with BatchNorm2d and max pools: every buffer lives in a workspace, the
// batch norm's statistics in fixed-size arrays on the stack, the kernels are shape-specialised loops (direct_conv.hpp,
// dense_kernels.hpp) rather than a GEMM library that packs into heap buffers, and the thread
// pool calls tasks by reference. malloc is interposed here to count the calls, so this test has
// its own executable and is not built under the sanitizers (which interpose malloc themselves).
#include <dlfcn.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "linconv/fashion_net.hpp"
#include "linconv/model.hpp"
#include "linconv/trainer.hpp"

namespace {
std::atomic<long> allocations{0};
std::atomic<bool> counting{false};

// Counts the mallocs that f makes.
template <class F>
long count_allocations(F&& f) {
  allocations = 0;
  counting = true;
  f();
  counting = false;
  return allocations;
}
}  // namespace

extern "C" void* malloc(std::size_t size) {
  static const auto real = reinterpret_cast<void* (*)(std::size_t)>(dlsym(RTLD_NEXT, "malloc"));
  if (counting) ++allocations;
  return real(size);
}

// The allocations of 5 training steps of 100 images on 2 threads (with the given optimiser and
// penalty), of a one-image forward pass, and of 10 Model::predict calls (and of a thread's first
// call, which makes its buffers).
struct Counts {
  long training = 0, inference = 0, later_calls = 0, first_call = 0;
};

template <class Net>
Counts count_for(const linconv::TrainOptions& options) {
  auto params = linconv::init_like_pytorch<Net>(1);
  linconv::ThreadPool pool(2);
  linconv::Trainer<Net> trainer(params, options, pool, 100);
  std::vector<float> images(100 * Net::input_shape.size());
  for (std::size_t i = 0; i < images.size(); ++i) images[i] = float(i % 255) / 255.0f;
  std::vector<std::uint8_t> labels(100);
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = std::uint8_t(i % 10);
  const linconv::Batch<Net::input_shape> batch{images.data(), 100};
  trainer.step(batch, labels.data());
  Counts counts;
  counts.training = count_allocations([&] {
    for (int step = 0; step < 5; ++step) trainer.step(batch, labels.data());
  });

  linconv::Workspace<Net> workspace(1, 1);
  std::copy_n(images.data(), Net::input_shape.size(), workspace.activation(0, 0));
  linconv::forward<Net>(params, workspace, linconv::Slice{0, 1, 0});
  counts.inference = count_allocations([&] { linconv::forward<Net>(params, workspace, linconv::Slice{0, 1, 0}); });

  const linconv::Model<Net> model(params);
  const typename linconv::Model<Net>::Image image(images.data(), Net::input_shape.size());
  std::thread([&] {  // a fresh thread: its first call makes the thread's buffers
    counts.first_call = count_allocations([&] { model.predict(image); });
    counts.later_calls = count_allocations([&] {
      for (int i = 0; i < 10; ++i) model.predict(image);
    });
  }).join();
  std::printf("%s, %s: allocations: %ld in 5 training steps of 100 images on 2 threads, "
              "%ld in a one-image forward pass, %ld in 10 Model::predict calls (%ld in a thread's first)\n",
              std::string(Net::architecture.view()).c_str(),
              options.optimizer == linconv::Optimizer::adam ? "Adam" : "SGD, sum, penalty scaled", counts.training, counts.inference,
              counts.later_calls, counts.first_call);
  return counts;
}

int main() {
  // The counter itself works: one vector, at least one malloc.
  const long control = count_allocations([] { std::vector<float> v(1000); });
  if (control < 1) {
    std::printf("malloc is not interposed (%ld calls counted for a new vector)\n", control);
    return 1;
  }
  bool none = true;
  const linconv::TrainOptions adam{.lambda = 0.5f};
  const linconv::TrainOptions sgd{.optimizer = linconv::Optimizer::sgd,
                                  .lambda = 0.5f,
                                  .reduction = linconv::Reduction::sum,
                                  .lambda_scale = linconv::LambdaScale::reduction};
  for (const Counts& c : {count_for<linconv::FashionNet>(adam), count_for<linconv::FashionNetBnPool>(adam),
                          count_for<linconv::FashionNet>(sgd), count_for<linconv::FashionNetBnPool>(sgd)})
    none = none && c.training == 0 && c.inference == 0 && c.later_calls == 0;
  return none ? 0 : 1;
}
