#pragma once
// Trainer<Net>: one optimiser step of  loss = CE(logits, y) + k * lambda * sum |alpha|  with Adam
// or plain SGD. k is 1, or with LambdaScale::reduction the number of images CE sums over (1
// under Reduction::mean, the batch's under ::sum): a summed CE with k = batch is exactly batch
// times the mean-reduction loss, so the two reductions meet the penalty at equal strength.
// The batch is split between the pool's threads; each accumulates its own parameter gradients,
// and the per-thread sums are added in thread order, so a fixed thread count is deterministic.
// The forward pass runs in training mode: batch-coupled layers meet on the whole batch
// (engine.hpp) and update their buffers. evaluate(): the cross-entropy and accuracy of a
// network on a batch, forward only, in evaluation mode.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "linconv/adam.hpp"
#include "linconv/error.hpp"
#include "linconv/engine.hpp"
#include "linconv/loss.hpp"
#include "linconv/sgd.hpp"
#include "linconv/thread_pool.hpp"

namespace linconv {

enum class Optimizer { adam, sgd };
// What the penalty's lambda is multiplied by: nothing, or the images CE sums over.
enum class LambdaScale { none, reduction };

struct TrainOptions {
  Optimizer optimizer = Optimizer::adam;
  AdamOptions adam;  // used with Optimizer::adam
  SgdOptions sgd;    // used with Optimizer::sgd
  float lambda = 0.0f;
  Reduction reduction = Reduction::mean;
  LambdaScale lambda_scale = LambdaScale::none;
};

struct StepStats {
  double loss = 0.0;     // ce + penalty
  double ce = 0.0;       // reduced as TrainOptions::reduction says
  double penalty = 0.0;  // k * lambda * sum |alpha| (k: TrainOptions::lambda_scale)
  int correct = 0;       // images of the batch classified right (before the update)
};

namespace detail {
// Copies a batch into the workspace's input rows [begin, begin + n).
template <class Net>
void load_input(Workspace<Net>& ws, const float* images, int begin, int n) {
  constexpr std::size_t size = Net::input_shape.size();
  std::copy(images + std::size_t(begin) * size, images + std::size_t(begin + n) * size,
            ws.activation(0, begin));
}
}  // namespace detail

template <class Net, Fusion F = Fusion::on>
class Trainer {
 public:
  Trainer(Params<Net>& params, TrainOptions options, ThreadPool& pool, int max_batch)
      : params_(params),
        options_(options),
        pool_(pool),
        workspace_(max_batch, pool.size(), Workspace<Net>::training),
        grads_(Net::param_count),
        adam_(options.optimizer == Optimizer::adam ? Net::param_count : 0, options.adam),
        partial_(pool.size()) {}

  // Gradients of the loss on one batch into gradients(); the parameters are not changed (the
  // buffers are: the training-mode forward pass updates running statistics, as in PyTorch).
  template <Shape S>
  StepStats compute_gradients(Batch<S> images, const std::uint8_t* labels) {
    check_input_shape<Net::input_shape, S>();
    const int batch = images.count;
    if (batch < 1 || batch > workspace_.capacity())
      throw Error("batch of " + std::to_string(batch) + " images does not fit the trainer (1 to " +
                  std::to_string(workspace_.capacity()) + ")");
    const float scale = options_.reduction == Reduction::mean ? 1.0f / float(batch) : 1.0f;
    pool_.run([&](int thread) {
      const auto [begin, end] = ThreadPool::split(batch, thread, pool_.size());
      const Slice slice{begin, end - begin, thread};
      float* dparams = workspace_.param_grads(thread);
      std::fill(dparams, dparams + Net::param_count, 0.0f);
      detail::load_input(workspace_, images.data, begin, end - begin);
      forward_training<Net, F>(params_, workspace_, slice);
      partial_[thread] = softmax_cross_entropy(
          workspace_.activation(Net::layer_count, begin), labels + begin, end - begin,
          Net::output_shape.size(), workspace_.gradient(Net::layer_count, begin), scale);
      backward<Net, F>(params_, workspace_, slice, dparams);
    });
    pool_.run([&](int thread) {
      const auto [begin, end] = ThreadPool::split(int(Net::param_count), thread, pool_.size());
      for (int i = begin; i < end; ++i) {
        float sum = 0.0f;
        for (int t = 0; t < pool_.size(); ++t) sum += workspace_.param_grads(t)[i];
        grads_[i] = sum;
      }
    });

    StepStats stats;
    for (const CrossEntropy& part : partial_) {
      stats.ce += part.sum;
      stats.correct += part.correct;
    }
    if (options_.reduction == Reduction::mean) stats.ce /= batch;
    const float weight = options_.lambda * penalty_scale(batch);
    for (const NetTensor& t : alpha_tensors<Net>()) {
      for (std::size_t k = 0; k < t.tensor.count(); ++k) {
        const float alpha = params_.values()[t.offset + k];
        stats.penalty += double(weight) * std::abs(alpha);
        grads_[t.offset + k] += weight * float((alpha > 0.0f) - (alpha < 0.0f));
      }
    }
    stats.loss = stats.ce + stats.penalty;
    return stats;
  }

  // compute_gradients, then one update of every parameter by the optimiser.
  template <Shape S>
  StepStats step(Batch<S> images, const std::uint8_t* labels) {
    const StepStats stats = compute_gradients(images, labels);
    const bool adam = options_.optimizer == Optimizer::adam;
    if (adam) adam_.next_step();
    pool_.run([&](int thread) {
      const auto [begin, end] = ThreadPool::split(int(Net::param_count), thread, pool_.size());
      if (adam)
        adam_.apply(params_.values(), grads_, std::size_t(begin), std::size_t(end));
      else
        sgd_apply(options_.sgd, params_.values(), grads_, std::size_t(begin), std::size_t(end));
    });
    return stats;
  }

  // k of the penalty k * lambda * sum |alpha| on a batch of `batch` images.
  float penalty_scale(int batch) const {
    return options_.lambda_scale == LambdaScale::reduction && options_.reduction == Reduction::sum ? float(batch)
                                                                                                    : 1.0f;
  }

  std::span<const float> gradients() const { return grads_; }
  const TrainOptions& options() const { return options_; }
  // Adam's state; empty (size 0) under SGD, which has none.
  const AdamState& adam() const { return adam_; }
  AdamState& adam() { return adam_; }
  // The trainer's buffers, which evaluation between steps may reuse.
  Workspace<Net>& workspace() { return workspace_; }
  const Params<Net>& params() const { return params_; }

 private:
  Params<Net>& params_;
  TrainOptions options_;
  ThreadPool& pool_;
  Workspace<Net> workspace_;
  AlignedFloats grads_;
  AdamState adam_;
  std::vector<CrossEntropy> partial_;
};

// Forward pass of a batch: the summed cross-entropy and the correct count; the logits are left
// in the workspace (ws.activation(Net::layer_count, row)).
template <class Net, Shape S, Fusion F = Fusion::on>
CrossEntropy evaluate(const Params<Net>& params, Batch<S> images, const std::uint8_t* labels,
                      Workspace<Net>& ws, ThreadPool& pool) {
  check_input_shape<Net::input_shape, S>();
  std::vector<CrossEntropy> partial(pool.size());
  pool.run([&](int thread) {
    const auto [begin, end] = ThreadPool::split(images.count, thread, pool.size());
    detail::load_input(ws, images.data, begin, end - begin);
    forward<Net, F>(params, ws, Slice{begin, end - begin, thread});
    partial[thread] = softmax_cross_entropy(ws.activation(Net::layer_count, begin), labels + begin,
                                            end - begin, Net::output_shape.size(), nullptr, 1.0f);
  });
  CrossEntropy total;
  for (const CrossEntropy& part : partial) {
    total.sum += part.sum;
    total.correct += part.correct;
  }
  return total;
}

}  // namespace linconv
