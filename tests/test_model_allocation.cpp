// Model::predict allocates nothing of its own once its thread has its buffers: a call makes
// exactly the allocations of the engine's forward pass on a workspace made beforehand, which
// are the kernels' (Eigen's GEMM packs the larger convolution operands into heap buffers; two
// per image with g++ 12 and Eigen 3.4). The count is printed. malloc is interposed to count the
// calls, so this test has its own executable and is not built under the sanitizers.
#include <dlfcn.h>

#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

#include "linconv/fashion_net.hpp"
#include "linconv/model.hpp"

namespace {
std::atomic<long> allocations{0};
std::atomic<bool> counting{false};

template <class F>
long allocations_of(F&& f) {
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
  const auto params = linconv::init_like_pytorch<Net>(1);
  const linconv::Model<Net> model(params);
  const std::vector<float> image(Net::input_shape.size(), 0.5f);
  const linconv::Model<Net>::Image input(image.data(), image.size());

  linconv::Workspace<Net> ws(1, 1);
  std::copy(image.begin(), image.end(), ws.activation(0, 0));
  const long engine = allocations_of([&] { linconv::forward<Net>(params.values().data(), ws, 0, 1, 0); });

  long first = 0, later = 0;
  std::thread([&] {  // a fresh thread: the first call makes its buffers
    first = allocations_of([&] { model.predict(input); });
    later = allocations_of([&] {
      for (int i = 0; i < 10; ++i) model.predict(input);
    });
  }).join();
  std::printf("allocations: engine forward %ld per image; Model::predict %ld on a thread's first call, "
              "%ld in its next 10\n", engine, first, later);
  if (later != 10 * engine) {
    std::fprintf(stderr, "Model::predict allocates %ld times in 10 calls, the engine %ld per image\n", later, engine);
    return 1;
  }
  return 0;
}
