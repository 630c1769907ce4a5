#pragma once
// Params<Net>: every weight, bias and alpha of a network in one aligned arena, laid out as
// Net::tensors says; views per tensor and per layer. Gradients and Adam's moments use the same
// layout, so the optimiser is one loop over flat arrays.
#include <Eigen/Core>
#include <cstdint>
#include <span>
#include <vector>

#include "linconv/layer.hpp"
#include "linconv/rng.hpp"
#include "linconv/sequential.hpp"

namespace linconv {

using AlignedFloats = std::vector<float, Eigen::aligned_allocator<float>>;

template <class Net>
class Params {
 public:
  Params() : values_(Net::param_count, 0.0f) {}
  // A copy of values laid out as Net::tensors says (`linconv export` headers hold such arrays).
  explicit Params(std::span<const float, Net::param_count> values) : values_(values.begin(), values.end()) {}

  std::span<float> values() { return values_; }
  std::span<const float> values() const { return values_; }

  std::span<float> tensor(const NetTensor& t) { return values().subspan(t.offset, t.tensor.count()); }
  std::span<const float> tensor(const NetTensor& t) const {
    return values().subspan(t.offset, t.tensor.count());
  }

 private:
  AlignedFloats values_;
};

// PyTorch's default initialisation, layer by layer in network order from one seeded stream.
template <class Net>
Params<Net> init_like_pytorch(std::uint64_t seed, const InitOptions& options = {}) {
  Params<Net> params;
  Rng rng(seed);
  Net::for_each_layer([&](auto i) {
    using L = typename Net::template layer<decltype(i)::value>;
    L::init(params.values().data() + Net::param_offsets[decltype(i)::value], rng, options);
  });
  return params;
}

// The learnable alphas of a network: every tensor named "alpha", in network order.
template <class Net>
constexpr auto alpha_tensors() {
  constexpr std::size_t count = [] {
    std::size_t n = 0;
    for (const NetTensor& t : Net::tensors) n += t.tensor.suffix == "alpha";
    return n;
  }();
  std::array<NetTensor, count> alphas{};
  std::size_t next = 0;
  for (const NetTensor& t : Net::tensors)
    if (t.tensor.suffix == "alpha") alphas[next++] = t;
  return alphas;
}

}  // namespace linconv
