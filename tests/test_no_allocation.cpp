// A training step allocates nothing once the trainer exists: every buffer lives in its
// workspace, the thread pool calls tasks by reference, and Eigen's GEMM packs on the stack
// (src/kernels.cpp). malloc is interposed here to count the calls, so this test has its own
// executable and is not built under the sanitizers (which interpose malloc themselves).
#include <dlfcn.h>

#include <atomic>
#include <cstdio>
#include <vector>

#include "linconv/fashion_net.hpp"
#include "linconv/trainer.hpp"

namespace {
std::atomic<long> allocations{0};
std::atomic<bool> counting{false};
}  // namespace

extern "C" void* malloc(std::size_t size) {
  static const auto real = reinterpret_cast<void* (*)(std::size_t)>(dlsym(RTLD_NEXT, "malloc"));
  if (counting) ++allocations;
  return real(size);
}

int main() {
  using Net = linconv::FashionNet;
  auto params = linconv::init_like_pytorch<Net>(1);
  linconv::ThreadPool pool(2);
  linconv::Trainer<Net> trainer(params, {.lambda = 0.5f}, pool, 100);
  const std::vector<float> images(100 * Net::input_shape.size(), 0.5f);
  const std::vector<std::uint8_t> labels(100, 3);
  const linconv::Batch<Net::input_shape> batch{images.data(), 100};
  trainer.step(batch, labels.data());
  counting = true;
  for (int step = 0; step < 5; ++step) trainer.step(batch, labels.data());
  counting = false;
  std::printf("%ld allocations in 5 training steps of 100 images on 2 threads\n", allocations.load());
  return allocations == 0 ? 0 : 1;
}
