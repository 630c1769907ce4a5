#pragma once
// The forward and backward passes of a network, generated from its type: one call per layer,
// in order and in reverse, over a slice of a batch. Workspace<Net> holds the runtime buffers of a
// batch: every layer's activations (layer-major, [capacity, shape.size()] each), two buffers for
// the gradient flowing backward, per-thread scratch, saved state and parameter gradients, and the
// Team where the threads meet.
//
// How the threads meet. Each thread of the pool runs its own slice of the batch through every
// layer at its own pace; nothing waits for anything. A batch-coupled layer (BatchNorm2d in
// training mode) asks for sums over the whole batch through Context::sum: there every thread
// blocks until all have contributed, so at such a layer, and only there, the threads are in
// step. Every thread then holds the same whole-batch statistics and goes on with its own slice.
// Because every thread calls every layer, each with the same sequence of sums, no thread can wait
// for one that will never come; the sums are added in thread order (team.hpp), so a thread count
// gives one result, and another split differs in the last bits only.
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
      : Workspace(capacity, threads, Sizes(capacity, threads, use)) {}

  // The bytes the constructor allocates for the same arguments, so that a run can weigh them
  // against the machine's memory before it starts.
  static std::size_t bytes(int capacity, int threads, Use use = inference) {
    return Sizes(capacity, threads, use).floats() * sizeof(float);
  }

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
  // What layer i keeps from its forward pass to its backward pass, for one thread.
  float* saved(std::size_t i, int thread) {
    return saved_.data() + std::size_t(thread) * Net::saved_floats + Net::saved_offsets[i];
  }
  Team& team() { return team_; }
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

  // The floats of each buffer, for both the constructor and bytes().
  struct Sizes {
    std::size_t activations, gradients, scratch, saved, param_grads;
    Sizes(int capacity, int threads, Use use)
        : activations(std::size_t(capacity) * Net::activation_floats),
          gradients(use == training ? 2 * std::size_t(capacity) * Net::max_layer_floats : 0),
          scratch(std::size_t(threads) * Net::scratch_floats),
          saved(std::size_t(threads) * Net::saved_floats),
          param_grads(use == training ? std::size_t(threads) * Net::param_count : 0) {}
    std::size_t floats() const { return activations + gradients + scratch + saved + param_grads; }
  };
  Workspace(int capacity, int threads, const Sizes& sizes)
      : capacity_(capacity),
        threads_(threads),
        activations_(sizes.activations),
        gradients_(sizes.gradients),
        scratch_(sizes.scratch),
        saved_(sizes.saved),
        param_grads_(sizes.param_grads),
        team_(threads, Net::team_values) {}

  int capacity_, threads_;
  AlignedFloats activations_, gradients_, scratch_, saved_, param_grads_;
  Team team_;
};

// Whether a layer that can runs the activation after it in the same pass (Net::fused_with_next).
// Both give bit-identical results; `off` exists to measure what fusion buys.
enum class Fusion { off, on };

// Images [begin, begin + n) of the workspace, taken by pool thread `thread`.
struct Slice {
  int begin = 0;
  int n = 0;
  int thread = 0;
};

namespace detail {

template <class Net, std::size_t I>
using layer_t = typename Net::template layer<I>;

// Layer I's tensors; in training mode, the thread that updates the buffers gets them writable.
template <class Net, std::size_t I, class P>
LayerTensors layer_tensors(const P& params, P* updated, float* dparams) {
  return {params.values().data() + Net::param_offsets[I],
          dparams ? dparams + Net::param_offsets[I] : nullptr,
          params.buffers().data() + Net::buffer_offsets[I],
          params.counters().data() + Net::counter_offsets[I],
          updated ? updated->buffers().data() + Net::buffer_offsets[I] : nullptr,
          updated ? updated->counters().data() + Net::counter_offsets[I] : nullptr};
}

template <class Net, std::size_t I>
Context layer_context(Workspace<Net>& ws, Slice s, Mode mode) {
  return {mode, s.thread, &ws.team(), ws.scratch(s.thread), ws.saved(I, s.thread), mode == Mode::training};
}

template <class Net, Fusion F, class P>
void run_forward(const P& params, P* updated, Workspace<Net>& ws, Slice s, Mode mode) {
  Net::for_each_layer([&](auto index) {
    constexpr std::size_t i = decltype(index)::value;
    using L = layer_t<Net, i>;
    constexpr Shape in = L::in, out = L::out;
    const Images<in> x{ws.activation(i, s.begin), s.n};
    const ImagesOut<out> y{ws.activation(i + 1, s.begin), s.n};
    if constexpr (F == Fusion::on && Net::fused_into_previous(i)) {
      return;  // computed with layer i - 1
    } else if constexpr (F == Fusion::on && Net::fused_with_next[i]) {
      using A = layer_t<Net, i + 1>;
      L::template forward_fused<A>(layer_tensors<Net, i, P>(params, updated, nullptr),
                                   layer_tensors<Net, i + 1, P>(params, updated, nullptr), x, y,
                                   ImagesOut<out>{ws.activation(i + 2, s.begin), s.n},
                                   layer_context<Net, i>(ws, s, mode));
    } else {
      L::forward(layer_tensors<Net, i, P>(params, updated, nullptr), x, y, layer_context<Net, i>(ws, s, mode));
    }
  });
}

}  // namespace detail

// The passes take Params<Net>, or the Params of a network with the same layout (Model runs a
// variant of Net with faster activations on Net's parameters).
//
// Forward pass in evaluation mode of a slice of the workspace, whose input rows are filled. It
// computes what the output and each activation's output need: a convolution fused with its
// activation leaves its own output (the pre-activation, which only a backward pass reads)
// unwritten.
template <class Net, Fusion F = Fusion::on, class P>
void forward(const P& params, Workspace<Net>& ws, Slice slice) {
  detail::run_forward<Net, F, P>(params, nullptr, ws, slice, Mode::evaluation);
}

// Forward pass in training mode: batch-coupled layers use the statistics of the whole batch
// (every thread of the workspace's team must run its slice) and thread 0 updates the buffers.
template <class Net, Fusion F = Fusion::on, class P>
void forward_training(P& params, Workspace<Net>& ws, Slice slice) {
  detail::run_forward<Net, F, P>(params, slice.thread == 0 ? &params : nullptr, ws, slice, Mode::training);
}

// Backward pass of the same images after forward_training, from the gradient of the network's
// output (filled) to dparams, which it adds to; `mode` is the forward pass's. The input gradient
// is not computed.
template <class Net, Fusion F = Fusion::on, class P>
void backward(const P& params, Workspace<Net>& ws, Slice s, float* dparams, Mode mode = Mode::training) {
  Net::for_each_layer_reversed([&](auto index) {
    constexpr std::size_t i = decltype(index)::value;
    using L = detail::layer_t<Net, i>;
    constexpr Shape in = L::in, out = L::out;
    const ImagesOut<in> dx{i == 0 ? nullptr : ws.gradient(i, s.begin), s.n};
    const Images<in> x{ws.activation(i, s.begin), s.n};
    const Images<out> y{ws.activation(i + 1, s.begin), s.n};
    if constexpr (F == Fusion::on && Net::fused_into_previous(i)) {
      return;  // computed with layer i - 1
    } else if constexpr (F == Fusion::on && Net::fused_with_next[i]) {
      using A = detail::layer_t<Net, i + 1>;
      L::template backward_fused<A>(detail::layer_tensors<Net, i, P>(params, nullptr, dparams),
                                    detail::layer_tensors<Net, i + 1, P>(params, nullptr, dparams), x, y,
                                    Images<out>{ws.gradient(i + 2, s.begin), s.n}, dx,
                                    detail::layer_context<Net, i>(ws, s, mode));
    } else {
      L::backward(detail::layer_tensors<Net, i, P>(params, nullptr, dparams), x, y,
                  Images<out>{ws.gradient(i + 1, s.begin), s.n}, dx,
                  detail::layer_context<Net, i>(ws, s, mode));
    }
  });
}

}  // namespace linconv
