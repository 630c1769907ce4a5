#pragma once
// Params<Net>: the numbers of a network. Every parameter (weight, bias, alpha, BatchNorm's
// scale and shift) in one aligned arena laid out as Net::tensors says; gradients and Adam's
// moments use the same layout, so the optimiser is one loop over flat arrays. Beside it the
// buffers (Net::buffer_tensors: saved and loaded, never trained), F32 ones such as running
// statistics in one arena and I64 counters in another.
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
  Params() : values_(Net::param_count, 0.0f), buffers_(Net::buffer_floats, 0.0f), counters_(Net::counter_count, 0) {}
  // A copy of values laid out as Net::tensors says, and of buffers and counters as
  // Net::buffer_tensors says (`linconv export` headers hold such arrays).
  explicit Params(std::span<const float, Net::param_count> values,
                  std::span<const float, Net::buffer_floats> buffers = {},
                  std::span<const std::int64_t, Net::counter_count> counters = {})
      : values_(values.begin(), values.end()),
        buffers_(buffers.begin(), buffers.end()),
        counters_(counters.begin(), counters.end()) {}

  std::span<float> values() { return values_; }
  std::span<const float> values() const { return values_; }
  std::span<float> buffers() { return buffers_; }
  std::span<const float> buffers() const { return buffers_; }
  std::span<std::int64_t> counters() { return counters_; }
  std::span<const std::int64_t> counters() const { return counters_; }

  // A parameter tensor (from Net::tensors) or an F32 buffer (from Net::buffer_tensors).
  std::span<float> tensor(const NetTensor& t) {
    return std::span(t.role == TensorRole::buffer ? buffers_ : values_).subspan(t.offset, t.tensor.count());
  }
  std::span<const float> tensor(const NetTensor& t) const {
    return std::span(t.role == TensorRole::buffer ? buffers_ : values_).subspan(t.offset, t.tensor.count());
  }
  // An I64 buffer (from Net::buffer_tensors).
  std::span<std::int64_t> counter(const NetTensor& t) { return std::span(counters_).subspan(t.offset, t.tensor.count()); }
  std::span<const std::int64_t> counter(const NetTensor& t) const {
    return std::span(counters_).subspan(t.offset, t.tensor.count());
  }

 private:
  AlignedFloats values_, buffers_;
  std::vector<std::int64_t> counters_;
};

// PyTorch's default initialisation, layer by layer in network order from one seeded stream.
template <class Net>
Params<Net> init_like_pytorch(std::uint64_t seed, const InitOptions& options = {}) {
  Params<Net> params;
  Rng rng(seed);
  Net::for_each_layer([&](auto index) {
    constexpr std::size_t i = decltype(index)::value;
    Net::template layer<i>::init({params.values().data() + Net::param_offsets[i],
                                  params.buffers().data() + Net::buffer_offsets[i],
                                  params.counters().data() + Net::counter_offsets[i]},
                                 rng, options);
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
