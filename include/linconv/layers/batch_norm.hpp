#pragma once
// BatchNorm2d: torch.nn.BatchNorm2d(C) with eps 1e-5, momentum 0.1, affine, tracking running
// statistics. Per channel c, over the batch and the positions (M = n * H * W values):
//   training:    mean_c = sum x / M,   var_c = sum (x - mean_c)^2 / M            (biased)
//                y = (x - mean_c) / sqrt(var_c + eps) * weight_c + bias_c
//                running_mean = 0.9 running_mean + 0.1 mean_c
//                running_var  = 0.9 running_var  + 0.1 var_c * M / (M - 1)      (unbiased)
//                num_batches_tracked += 1
//   evaluation:  the same y with running_mean and running_var in place of the batch's.
// Backward in training mode, with xhat = (x - mean_c) / sqrt(var_c + eps) and g = dy:
//   dweight_c = sum g * xhat,   dbias_c = sum g,
//   dx = weight_c / sqrt(var_c + eps) * (g - sum g / M - xhat * sum (g * xhat) / M).
// The sums run over the whole batch: each thread sums its own images and the team adds the
// threads' sums (Context::sum, team.hpp), twice in the forward pass (the mean, then the variance
// about it) and once in the backward pass. Parameters weight [C] (init 1) and bias [C] (init 0);
// buffers running_mean [C] (0), running_var [C] (1) and num_batches_tracked [] (I64, 0).
#include <array>
#include <cmath>

#include "linconv/error.hpp"
#include "linconv/layer.hpp"

namespace linconv {

template <std::size_t Layer, Shape Input>
struct BATCHNORM2D_INPUT_IS_NOT_AN_IMAGE : diagnostic {};

struct BatchNorm2d {
  template <std::size_t Index, Shape In>
  struct bind : LayerBase<In> {
    static_assert(require<(In.h > 1 || In.w > 1), BATCHNORM2D_INPUT_IS_NOT_AN_IMAGE<Index, In>>::value,
                  "BatchNorm2d needs an image input {C, H, W}, not a flat vector (put it before Flatten)");

    static constexpr int C = In.c;
    static constexpr std::string_view kind = "bn";
    static constexpr auto name = FixedString("BatchNorm2d");
    static constexpr Shape out = In;
    static constexpr double eps = 1e-5, momentum = 0.1;
    static constexpr std::size_t positions = std::size_t(In.h) * std::size_t(In.w);

    static constexpr std::array<ParamTensor, 2> tensors{{{"weight", {C}, 1, 0}, {"bias", {C}, 1, std::size_t(C)}}};
    static constexpr std::size_t param_count = 2 * std::size_t(C);
    static constexpr std::array<ParamTensor, 3> buffers{{{"running_mean", {C}, 1, 0},
                                                         {"running_var", {C}, 1, std::size_t(C), false, true},
                                                         {"num_batches_tracked", {}, 0, 0, true, true}}};
    static constexpr std::size_t buffer_floats = 2 * std::size_t(C);
    static constexpr std::size_t counter_count = 1;
    // Kept for the backward pass: the batch's mean and 1 / sqrt(var + eps), and M.
    static constexpr std::size_t saved_floats = 2 * std::size_t(C) + 1;
    static constexpr std::size_t team_values = 2 * std::size_t(C);

    static void init(const InitTensors& t, Rng&, const InitOptions&) {
      std::fill(t.params, t.params + C, 1.0f);
      std::fill(t.params + C, t.params + 2 * C, 0.0f);
      std::fill(t.buffers, t.buffers + C, 0.0f);
      std::fill(t.buffers + C, t.buffers + 2 * C, 1.0f);
      t.counters[0] = 0;
    }

    static void forward(const LayerTensors& t, Images<In> x, ImagesOut<In> y, const Context& ctx) {
      std::array<float, C> mean, inv_std;
      if (ctx.mode == Mode::training) {
        batch_statistics(t, x, ctx, mean, inv_std);
      } else {
        for (int c = 0; c < C; ++c) {
          mean[c] = t.buffers[c];
          inv_std[c] = float(1.0 / std::sqrt(double(t.buffers[C + c]) + eps));
        }
      }
      // y = (x - mean) * scale + bias, per channel (x - mean first: no cancellation when the
      // mean is large against the deviation).
      for (int k = 0; k < x.n; ++k)
        for (int c = 0; c < C; ++c) {
          const float scale = t.params[c] * inv_std[c], bias = t.params[C + c];
          const float* in = plane(x.image(k), c);
          float* result = plane(y.image(k), c);
          for (std::size_t p = 0; p < positions; ++p) result[p] = (in[p] - mean[c]) * scale + bias;
        }
    }

    static void backward(const LayerTensors& t, Images<In> x, Images<In>, Images<In> dy, ImagesOut<In> dx,
                         const Context& ctx) {
      const bool training = ctx.mode == Mode::training;
      std::array<float, C> mean, inv_std;
      for (int c = 0; c < C; ++c) {
        mean[c] = training ? ctx.saved[c] : t.buffers[c];
        inv_std[c] = training ? ctx.saved[C + c] : float(1.0 / std::sqrt(double(t.buffers[C + c]) + eps));
      }
      // This thread's sums of g and g * xhat, per channel.
      std::array<double, 2 * C> sums{};
      for (int k = 0; k < x.n; ++k)
        for (int c = 0; c < C; ++c) {
          const float *in = plane(x.image(k), c), *g = plane(dy.image(k), c);
          for (std::size_t p = 0; p < positions; ++p) {
            sums[c] += g[p];
            sums[C + c] += double(g[p]) * double((in[p] - mean[c]) * inv_std[c]);
          }
        }
      for (int c = 0; c < C; ++c) {
        t.dparams[c] += float(sums[C + c]);
        t.dparams[C + c] += float(sums[c]);
      }
      if (!dx) return;
      if (!training) {  // the statistics are constants
        for (int k = 0; k < x.n; ++k)
          for (int c = 0; c < C; ++c) {
            const float factor = t.params[c] * inv_std[c];
            const float* g = plane(dy.image(k), c);
            float* result = plane(dx.image(k), c);
            for (std::size_t p = 0; p < positions; ++p) result[p] = g[p] * factor;
          }
        return;
      }
      std::array<double, 2 * C> total;
      ctx.sum(sums, total);
      const double count = ctx.saved[2 * C];
      for (int k = 0; k < x.n; ++k)
        for (int c = 0; c < C; ++c) {
          const float g_mean = float(total[c] / count), g_xhat_mean = float(total[C + c] / count);
          const float factor = t.params[c] * inv_std[c];
          const float *in = plane(x.image(k), c), *g = plane(dy.image(k), c);
          float* result = plane(dx.image(k), c);
          for (std::size_t p = 0; p < positions; ++p)
            result[p] = (g[p] - g_mean - (in[p] - mean[c]) * inv_std[c] * g_xhat_mean) * factor;
        }
    }

   private:
    template <class T>
    static T* plane(T* image, int c) {
      return image + std::size_t(c) * positions;
    }

    // The batch's mean and 1 / sqrt(var + eps) per channel, over every thread's images; saved for
    // the backward pass, and folded into the running statistics by the thread given buffers_out.
    static void batch_statistics(const LayerTensors& t, Images<In> x, const Context& ctx, std::array<float, C>& mean,
                                 std::array<float, C>& inv_std) {
      // The image count, then each channel's sum.
      std::array<double, C + 1> sums{}, total;
      sums[0] = x.n;
      for (int k = 0; k < x.n; ++k)
        for (int c = 0; c < C; ++c) {
          const float* in = plane(x.image(k), c);
          for (std::size_t p = 0; p < positions; ++p) sums[1 + c] += in[p];
        }
      ctx.sum(sums, total);
      const double count = total[0] * double(positions);
      if (count < 2)
        throw Error("BatchNorm2d in training mode needs more than one value per channel (batch of " +
                    std::to_string(int(total[0])) + " images of " + std::to_string(positions) + " positions)");
      std::array<double, C> mean_exact;
      for (int c = 0; c < C; ++c) mean_exact[c] = total[1 + c] / count;

      // The squared deviations about that mean.
      std::array<double, C> squares{}, squares_total;
      for (int k = 0; k < x.n; ++k)
        for (int c = 0; c < C; ++c) {
          const float* in = plane(x.image(k), c);
          for (std::size_t p = 0; p < positions; ++p) {
            const double d = in[p] - mean_exact[c];
            squares[c] += d * d;
          }
        }
      ctx.sum(squares, squares_total);

      for (int c = 0; c < C; ++c) {
        const double var = squares_total[c] / count;
        mean[c] = float(mean_exact[c]);
        inv_std[c] = float(1.0 / std::sqrt(var + eps));
        ctx.saved[c] = mean[c];
        ctx.saved[C + c] = inv_std[c];
        if (t.buffers_out) {
          t.buffers_out[c] = float((1.0 - momentum) * t.buffers_out[c] + momentum * mean_exact[c]);
          t.buffers_out[C + c] = float((1.0 - momentum) * t.buffers_out[C + c] + momentum * var * count / (count - 1));
        }
      }
      ctx.saved[2 * C] = float(count);
      if (t.counters_out) ++t.counters_out[0];
    }
  };
};

}  // namespace linconv
