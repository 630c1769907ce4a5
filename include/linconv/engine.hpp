#pragma once
// The forward and backward passes of a network, generated from its type: one call per layer,
// in order and in reverse, over a slice of a batch. Workspace<Net> holds the runtime buffers of a
// batch: every layer's activations (layer-major, [capacity, shape.size()] each), two buffers for
// the gradient flowing backward, and per-thread scratch and parameter gradients.
#include <algorithm>
#include <cstdint>

#include "linconv/params.hpp"
#include "linconv/sequential.hpp"

namespace linconv {

// A batch of images of shape S: [count, S.size()] floats, already scaled.
template <Shape S>
struct Batch {
  const float* data = nullptr;
  int count = 0;
};

template <class Net>
class Workspace {
 public:
  enum Use { inference, training };

  // Buffers for batches of up to `capacity` images split between `threads`; the gradient
  // buffers exist only for training.
  Workspace(int capacity, int threads, Use use = inference)
      : capacity_(capacity),
        threads_(threads),
        activations_(std::size_t(capacity) * Net::activation_floats),
        gradients_(use == training ? 2 * std::size_t(capacity) * Net::max_layer_floats : 0),
        scratch_(std::size_t(threads) * Net::scratch_floats),
        param_grads_(use == training ? std::size_t(threads) * Net::param_count : 0) {}

  int capacity() const { return capacity_; }
  int threads() const { return threads_; }

  // Image `row` of activation i (0: the input, i + 1: the output of layer i).
  float* activation(std::size_t i, int row) {
    return activations_.data() + std::size_t(capacity_) * Net::activation_offsets[i] +
           std::size_t(row) * Net::shapes[i].size();
  }
  // The gradient of the loss with respect to activation i for the slice of images that starts
  // at `first`, [n, shapes[i].size()]. Threads work through the layers at their own pace, so
  // each slice owns the region [first, first + n) * max_layer_floats whatever the layer. Two
  // buffers alternate backward through the network; a layer computed in place keeps its
  // output's buffer.
  float* gradient(std::size_t i, int first) {
    return gradients_.data() + std::size_t(capacity_) * Net::max_layer_floats * gradient_slots[i] +
           std::size_t(first) * Net::max_layer_floats;
  }
  float* scratch(int thread) { return scratch_.data() + std::size_t(thread) * Net::scratch_floats; }
  float* param_grads(int thread) { return param_grads_.data() + std::size_t(thread) * Net::param_count; }

 private:
  // An activation's input gradient shares its output gradient's buffer (it is computed element
  // by element in place), so that a fused convolution reads its output gradient from one buffer
  // and writes its input gradient to the other, fused or not.
  static constexpr std::array<int, Net::layer_count + 1> gradient_slots = [] {
    std::array<int, Net::layer_count + 1> slots{};
    for (std::size_t i = Net::layer_count; i-- > 0;)
      slots[i] = Net::in_place[i] || Net::fused_into_previous(i) ? slots[i + 1] : 1 - slots[i + 1];
    return slots;
  }();

  int capacity_, threads_;
  AlignedFloats activations_, gradients_, scratch_, param_grads_;
};

// Whether a layer that can runs the activation after it in the same pass (Net::fused_with_next).
// Both give bit-identical results; `off` exists to measure what fusion buys.
enum class Fusion { off, on };

// Forward pass of images [begin, begin + n) of the workspace, whose input rows are filled.
template <class Net, Fusion F = Fusion::on>
void forward(const float* params, Workspace<Net>& ws, int begin, int n, int thread) {
  Net::for_each_layer([&](auto index) {
    constexpr std::size_t i = decltype(index)::value;
    using L = typename Net::template layer<i>;
    if constexpr (F == Fusion::on && Net::fused_into_previous(i)) {
      return;  // computed with layer i - 1
    } else if constexpr (F == Fusion::on && Net::fused_with_next[i]) {
      L::template forward_fused<typename Net::template layer<i + 1>>(
          params + Net::param_offsets[i], params + Net::param_offsets[i + 1], ws.activation(i, begin),
          ws.activation(i + 1, begin), ws.activation(i + 2, begin), n, ws.scratch(thread));
    } else {
      L::forward(params + Net::param_offsets[i], ws.activation(i, begin), ws.activation(i + 1, begin), n,
                 ws.scratch(thread));
    }
  });
}

// Backward pass of the same images, from the gradient of the network's output (filled) to
// dparams, which it adds to. The input gradient is not computed.
template <class Net, Fusion F = Fusion::on>
void backward(const float* params, Workspace<Net>& ws, int begin, int n, int thread, float* dparams) {
  Net::for_each_layer_reversed([&](auto index) {
    constexpr std::size_t i = decltype(index)::value;
    using L = typename Net::template layer<i>;
    float* dx = i == 0 ? nullptr : ws.gradient(i, begin);
    if constexpr (F == Fusion::on && Net::fused_into_previous(i)) {
      return;  // computed with layer i - 1
    } else if constexpr (F == Fusion::on && Net::fused_with_next[i]) {
      L::template backward_fused<typename Net::template layer<i + 1>>(
          params + Net::param_offsets[i], params + Net::param_offsets[i + 1], ws.activation(i, begin),
          ws.activation(i + 1, begin), ws.gradient(i + 2, begin), dx, dparams + Net::param_offsets[i],
          dparams + Net::param_offsets[i + 1], n, ws.scratch(thread));
    } else {
      L::backward(params + Net::param_offsets[i], ws.activation(i, begin), ws.activation(i + 1, begin),
                  ws.gradient(i + 1, begin), dx, dparams + Net::param_offsets[i], n, ws.scratch(thread));
    }
  });
}

}  // namespace linconv
