// A training step, an inference pass and Model::predict allocate nothing once their workspace
// exists (for Model, once the calling thread has made its buffers): every buffer lives in a workspace, the kernels are shape-specialised loops (direct_conv.hpp,
// dense_kernels.hpp) rather than a GEMM library that packs into heap buffers, and the thread
// pool calls tasks by reference. malloc is interposed here to count the calls, so this test has
// its own executable and is not built under the sanitizers (which interpose malloc themselves).
#include <dlfcn.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
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

int main() {
  using Net = linconv::FashionNet;
  // The counter itself works: one vector, at least one malloc.
  const long control = count_allocations([] { std::vector<float> v(1000); });
  if (control < 1) {
    std::printf("malloc is not interposed (%ld calls counted for a new vector)\n", control);
    return 1;
  }

  auto params = linconv::init_like_pytorch<Net>(1);
  linconv::ThreadPool pool(2);
  linconv::Trainer<Net> trainer(params, {.lambda = 0.5f}, pool, 100);
  std::vector<float> images(100 * Net::input_shape.size());
  for (std::size_t i = 0; i < images.size(); ++i) images[i] = float(i % 255) / 255.0f;
  std::vector<std::uint8_t> labels(100);
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = std::uint8_t(i % 10);
  const linconv::Batch<Net::input_shape> batch{images.data(), 100};
  trainer.step(batch, labels.data());
  const long training = count_allocations([&] {
    for (int step = 0; step < 5; ++step) trainer.step(batch, labels.data());
  });

  linconv::Workspace<Net> workspace(1, 1);
  std::copy_n(images.data(), Net::input_shape.size(), workspace.activation(0, 0));
  linconv::forward<Net>(params.values().data(), workspace, 0, 1, 0);
  const long inference =
      count_allocations([&] { linconv::forward<Net>(params.values().data(), workspace, 0, 1, 0); });

  const linconv::Model<Net> model(params);
  const linconv::Model<Net>::Image image(images.data(), Net::input_shape.size());
  long first_call = 0, later_calls = 0;
  std::thread([&] {  // a fresh thread: its first call makes the thread's buffers
    first_call = count_allocations([&] { model.predict(image); });
    later_calls = count_allocations([&] {
      for (int i = 0; i < 10; ++i) model.predict(image);
    });
  }).join();

  std::printf("allocations: %ld in 5 training steps of 100 images on 2 threads, "
              "%ld in a one-image forward pass, %ld in 10 Model::predict calls (%ld in a thread's first)\n",
              training, inference, later_calls, first_call);
  return training == 0 && inference == 0 && later_calls == 0 ? 0 : 1;
}
