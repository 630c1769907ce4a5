#pragma once
// Conv<OutC, K, Stride, Pad>: 2-D convolution (cross-correlation, as torch.nn.Conv2d) with a
// square K x K kernel, zero padding and a bias:
//   y[o, i, j] = b[o] + sum_{c, u, v} W[o, c, u, v] * x[c, i*Stride + u - Pad, j*Stride + v - Pad]
// Output: {OutC, (H + 2*Pad - K) / Stride + 1, (W + 2*Pad - K) / Stride + 1}.
// Parameters (PyTorch's): weight [OutC, C, K, K] (OIHW) then bias [OutC], both initialised
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = C*K*K.
// A Conv followed by an activation runs both in one pass per image (forward_fused,
// backward_fused), which the engine uses unless told not to.
#include <algorithm>
#include <array>
#include <cmath>
#include <optional>

#include "linconv/direct_conv.hpp"
#include "linconv/kernels.hpp"
#include "linconv/layer.hpp"
#include "linconv/rng.hpp"

namespace linconv {

template <std::size_t Layer, Shape Input, int Kernel, int Pad>
struct CONV_KERNEL_LARGER_THAN_PADDED_INPUT : diagnostic {};
template <std::size_t Layer, int OutChannels, int Kernel, int Stride, int Pad>
struct CONV_SETTINGS_OUT_OF_RANGE : diagnostic {};
template <std::size_t Layer, Shape Input>
struct CONV_INPUT_IS_NOT_AN_IMAGE : diagnostic {};

template <int OutC, int K, int Stride = 1, int Pad = 0>
struct Conv {
  template <std::size_t Index, Shape In>
  struct bind : LayerBase<In> {
    static_assert(require<(OutC > 0 && K > 0 && Stride > 0 && Pad >= 0),
                          CONV_SETTINGS_OUT_OF_RANGE<Index, OutC, K, Stride, Pad>>::value,
                  "Conv<OutC, K, Stride, Pad> needs OutC, K, Stride > 0 and Pad >= 0");
    static_assert(require<(In.h > 1 || In.w > 1), CONV_INPUT_IS_NOT_AN_IMAGE<Index, In>>::value,
                  "Conv needs an image input {C, H, W}, not a flat vector");
    static_assert(require<(K <= In.h + 2 * Pad && K <= In.w + 2 * Pad),
                          CONV_KERNEL_LARGER_THAN_PADDED_INPUT<Index, In, K, Pad>>::value,
                  "the convolution kernel is larger than its padded input");

    static constexpr std::string_view kind = "conv";
    static constexpr auto name = "Conv<" + to_fixed_string(OutC) + "," + to_fixed_string(K) + "," +
                                 to_fixed_string(Stride) + "," + to_fixed_string(Pad) + ">";
    // Clamped to at least 1 so that a failed check above is the only error printed.
    static constexpr Shape out{OutC, std::max(1, (In.h + 2 * Pad - K) / std::max(1, Stride) + 1),
                               std::max(1, (In.w + 2 * Pad - K) / std::max(1, Stride) + 1)};
    static constexpr kernels::ConvGeometry geometry{In.c, In.h, In.w, OutC, K, Stride, Pad, out.h, out.w};

    static constexpr std::size_t weight_count = std::size_t(OutC) * In.c * K * K;
    static constexpr std::array<ParamTensor, 2> tensors{{
        {"weight", {OutC, In.c, K, K}, 4, 0},
        {"bias", {OutC}, 1, weight_count},
    }};
    static constexpr std::size_t param_count = weight_count + OutC;
    using Direct = kernels::DirectConv<geometry>;
    static constexpr std::size_t kernel_scratch =
        Direct::applies ? Direct::scratch_floats : geometry.scratch_floats();
    // The kernel's buffers, and one image's output gradient for the fused backward pass (or
    // output, for the fused forward pass without a backward pass).
    static constexpr std::size_t scratch_floats = kernel_scratch + std::size_t(out.size());
    static constexpr bool fuses_activation = true;

    static void init(const InitTensors& t, Rng& rng, const InitOptions&) {
      const float bound = 1.0f / std::sqrt(static_cast<float>(geometry.patch()));
      for (std::size_t i = 0; i < param_count; ++i) t.params[i] = rng.uniform(-bound, bound);
    }

    static void forward(const LayerTensors& t, Images<In> x, ImagesOut<out> y, const Context& ctx) {
      convolve(t.params, x.data, y.data, x.n, ctx.scratch);
    }

    static void backward(const LayerTensors& t, Images<In> x, Images<out>, Images<out> dy, ImagesOut<In> dx,
                         const Context& ctx) {
      convolve_backward(t.params, x.data, dy.data, dx.data, t.dparams, x.n, ctx.scratch);
    }

    // The input gradient alone, dx = W^T dy (the transposed convolution): what fold.hpp's passes
    // through a linear suffix need, without compiling the weight gradient's kernels for them.
    // The im2col kernels (strided geometries) have no such half: they also add the weight
    // gradient of x to t.dparams.
    static void input_gradient(const LayerTensors& t, Images<In> x, Images<out> dy, ImagesOut<In> dx,
                               const Context& ctx) {
      if constexpr (Direct::applies)
        Direct::input_gradient(t.params, dy.data, dx.data, dy.n, ctx.scratch);
      else
        convolve_backward(t.params, x.data, dy.data, dx.data, t.dparams, dy.n, ctx.scratch);
    }

    // Fused with the activation Act after it, image by image while the image's output is in
    // cache: pre = conv(x) + b, post = Act(pre). The same arithmetic in the same order as the
    // two layers one after the other, so the results are bit-identical. When no backward pass
    // follows, nothing reads pre: each image's goes to scratch (the buffer backward_fused keeps
    // an output gradient in), which stays in cache, instead of into the workspace. For one image
    // that keeps about 175 KB of FashionNet's activations out of L2, where the dense layer's
    // 1 MB of weights must fit.
    //
    // One image without a backward pass (Model::predict), where the activation is ReLU_alpha by
    // elementwise::leaky's formula (Act::leaky_slope gives its slope): the direct kernels apply
    // it to their register blocks as they store them (LeakySlope), with no pass over the
    // image's output. Only there: the blocks store pieces of every channel's plane at once,
    // which cost nothing while the output stays in L2 (one image: 100 KB for conv3) and, into a
    // batch's activations in memory, ran slower than storing to scratch and streaming the
    // activation's output (Xeon, Ice Lake: conv3 fused forward at batch 100, 52% -> 43% of the
    // peak; one-image inference 55% -> 58%).
    template <class Act>
    static void forward_fused(const LayerTensors& t, const LayerTensors& act, Images<In> x, ImagesOut<out> pre,
                              ImagesOut<out> post, const Context& ctx) {
      if constexpr (Direct::applies) Direct::prepare_forward(t.params, ctx.scratch);
      if constexpr (Direct::applies && requires { Act::leaky_slope(act.params); }) {
        const kernels::LeakySlope slope = Act::leaky_slope(act.params);
        if (slope && x.n == 1 && !ctx.backward_follows) {
          Direct::forward_prepared(x.data, t.params, t.params + weight_count, post.data, 1, ctx.scratch, slope);
          return;
        }
      }
      float* image_scratch = ctx.scratch + kernel_scratch;
      for (int k = 0; k < x.n; ++k) {
        float* y = ctx.backward_follows ? pre.image(k) : image_scratch;
        convolve_image(t.params, x.image(k), y, ctx.scratch);
        Act::apply(act.params, y, post.image(k), 1);
      }
    }

    // The activation's backward (input gradient, alpha gradients) and this layer's, per image.
    template <class Act>
    static void backward_fused(const LayerTensors& t, const LayerTensors& act, Images<In> x, Images<out> pre,
                               Images<out> dpost, ImagesOut<In> dx, const Context& ctx) {
      float* dpre = ctx.scratch + kernel_scratch;
      std::array<double, Act::accumulators> acc{};
      if constexpr (Direct::applies)
        if (dx) Direct::prepare_input_gradient(t.params, ctx.scratch);
      for (int k = 0; k < x.n; ++k) {
        Act::backward_terms(act.params, pre.image(k), dpost.image(k), dpre, 1, acc.data());
        convolve_backward_image(t.params, x.image(k), dpre, dx ? dx.image(k) : nullptr, t.dparams, ctx.scratch);
      }
      Act::add_param_gradient(act.dparams, acc.data());
    }

   private:
    // Stride-1 convolutions run the shape-specialised kernels of direct_conv.hpp; others im2col.
    static void convolve(const float* params, const float* x, float* y, int n, float* scratch) {
      if constexpr (Direct::applies)
        Direct::forward(x, params, params + weight_count, y, n, scratch);
      else
        kernels::conv_forward(geometry, x, params, params + weight_count, y, n, scratch);
    }
    static void convolve_backward(const float* params, const float* x, const float* dy, float* dx,
                                  float* dparams, int n, float* scratch) {
      if constexpr (Direct::applies)
        Direct::backward(x, params, dy, dx, dparams, dparams + weight_count, n, scratch);
      else
        kernels::conv_backward(geometry, x, params, dy, dx, dparams, dparams + weight_count, n, scratch);
    }
    // One image of the fused passes: the direct kernels' laid-out kernel is prepared once for
    // all the images of a call (4,608 floats transposed for conv3, and flipped too for the input
    // gradient, where an image's pass is about 80 us).
    static void convolve_image(const float* params, const float* x, float* y, float* scratch) {
      if constexpr (Direct::applies)
        Direct::forward_prepared(x, params, params + weight_count, y, 1, scratch);
      else
        kernels::conv_forward(geometry, x, params, params + weight_count, y, 1, scratch);
    }
    static void convolve_backward_image(const float* params, const float* x, const float* dy, float* dx,
                                        float* dparams, float* scratch) {
      if constexpr (Direct::applies) {
        Direct::weight_gradient(x, dy, dparams, dparams + weight_count, 1, scratch);
        if (dx) Direct::input_gradient_prepared(dy, dx, 1, scratch);
      } else {
        kernels::conv_backward(geometry, x, params, dy, dx, dparams, dparams + weight_count, 1, scratch);
      }
    }
  };
};

}  // namespace linconv
