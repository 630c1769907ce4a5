// No include guard: for_each_isa.hpp includes it once per instruction set (dense_kernels.hpp
// explains the method). The fully connected kernels in the namespace of the section's
// instruction set: simd::lanes floats a vector, simd::registers registers.
namespace linconv::kernels::LINCONV_ISA::dense {

// Inputs in chunks of this many floats (backward): the chunk of x of every image and of every
// weight row stays in L1 while it is reused.
inline constexpr int chunk = 4 * simd::lanes;

// The forward pass reads W in spans of inputs, each span's rows (Out x span floats) at most
// 256 KB, so that they stay in L2 (1.25 MB a core on Ice Lake server, 1 MB on Zen 4) while
// every image of the call passes, each image's x streaming once. Without spans, the report's
// 1 MB of W came back from L3 for every group of images.
template <int In, int Out>
inline constexpr int forward_span = [] {
  constexpr std::size_t bytes = std::size_t(In) * Out * sizeof(float), limit = 256 << 10;
  constexpr int vectors = In / simd::lanes, spans = int((bytes + limit - 1) / limit);
  return (vectors + spans - 1) / spans * simd::lanes;
}();

// y[k, o] (+)= sum_{i in [begin, end)} w[o, i] * x[k, i] for Images images from x and Rows
// outputs from w, over whole vectors: the first span stores, the others add.
template <int In, int Out, int Images, int Rows>
inline void forward_block(const float* x, const float* w, float* y, int begin, int end) {
  using simd::Vec;
  Vec acc[Images][Rows] = {};
  for (int i = begin; i < end; i += simd::lanes) {
    Vec in[Images];
    for (int m = 0; m < Images; ++m) in[m] = simd::load(x + std::size_t(m) * In + i);
    for (int r = 0; r < Rows; ++r) {
      const Vec weight = simd::load(w + std::size_t(r) * In + i);
      for (int m = 0; m < Images; ++m) acc[m][r] += weight * in[m];
    }
  }
  for (int m = 0; m < Images; ++m)
    for (int r = 0; r < Rows; ++r) y[m * Out + r] = (begin == 0 ? 0.0f : y[m * Out + r]) + simd::sum(acc[m][r]);
}

// y[k, o] = b[o] + sum_i w[o, i] * x[k, i]: span by span of the inputs (forward_span), then the
// bias and the inputs that do not fill a vector.
template <int In, int Out>
void forward(const float* x, const float* w, const float* b, float* y, int n) {
  constexpr int rows = std::min(Out, simd::registers / 2);
  constexpr int images = std::clamp(simd::registers * 3 / 4 / rows, 1, 4);  // accumulators: images * rows
  constexpr int vectorised = In / simd::lanes * simd::lanes, span = forward_span<In, Out>;
  if constexpr (vectorised == 0) std::fill(y, y + std::size_t(n) * Out, 0.0f);
  for (int begin = 0; begin < vectorised; begin += span) {
    const int end = std::min(begin + span, vectorised);
    simd::for_runtime_blocks<images>(n, [&](auto image_block, int k) {
      simd::for_blocks<Out, rows>([&](auto row_block, int o) {
        forward_block<In, Out, decltype(image_block)::value, decltype(row_block)::value>(
            x + std::size_t(k) * In, w + std::size_t(o) * In, y + std::size_t(k) * Out + o, begin, end);
      });
    });
  }
  for (int k = 0; k < n; ++k)
    for (int o = 0; o < Out; ++o) {
      float s = y[k * Out + o];
      for (int i = vectorised; i < In; ++i) s += w[std::size_t(o) * In + i] * x[std::size_t(k) * In + i];
      y[k * Out + o] = s + b[o];
    }
}

// dw[o, chunk] += sum_k dy[k, o] * x[k, chunk] for Rows outputs, over the images in order.
template <int In, int Out, int Rows>
inline void weight_grad_chunk(const float* x, const float* dy, float* dw, int n) {
  using simd::Vec;
  Vec acc[Rows][4];
  for (int r = 0; r < Rows; ++r)
    for (int v = 0; v < 4; ++v) acc[r][v] = simd::load(dw + std::size_t(r) * In + v * simd::lanes);
  for (int k = 0; k < n; ++k) {
    Vec in[4];
    for (int v = 0; v < 4; ++v) in[v] = simd::load(x + std::size_t(k) * In + v * simd::lanes);
    for (int r = 0; r < Rows; ++r) {
      const Vec d = simd::splat(dy[k * Out + r]);
      for (int v = 0; v < 4; ++v) acc[r][v] += d * in[v];
    }
  }
  for (int r = 0; r < Rows; ++r)
    for (int v = 0; v < 4; ++v) simd::store(dw + std::size_t(r) * In + v * simd::lanes, acc[r][v]);
}

// dx[k, chunk] = sum_o dy[k, o] * w[o, chunk] for Images images.
template <int In, int Out, int Images>
inline void input_grad_chunk(const float* w, const float* dy, float* dx) {
  using simd::Vec;
  Vec acc[Images][4] = {};
  for (int o = 0; o < Out; ++o) {
    Vec weight[4];
    for (int v = 0; v < 4; ++v) weight[v] = simd::load(w + std::size_t(o) * In + v * simd::lanes);
    for (int m = 0; m < Images; ++m) {
      const Vec d = simd::splat(dy[m * Out + o]);
      for (int v = 0; v < 4; ++v) acc[m][v] += d * weight[v];
    }
  }
  for (int m = 0; m < Images; ++m)
    for (int v = 0; v < 4; ++v) simd::store(dx + std::size_t(m) * In + v * simd::lanes, acc[m][v]);
}

// How far ahead of the chunk being computed backward requests x and dx, in floats.
inline constexpr int prefetch_ahead = 2 * chunk;

// dw += dy^T x, db += column sums of dy, dx = dy W (dx may be null). Chunk by chunk of the
// inputs; every sum over images runs over them in order.
template <int In, int Out>
void backward(const float* x, const float* w, const float* dy, float* dx, float* dw, float* db, int n) {
  constexpr int groups = simd::registers / 8;  // outputs or images at once: 4 vectors each
  for (int k = 0; k < n; ++k)
    for (int o = 0; o < Out; ++o) db[o] += dy[k * Out + o];
  constexpr int vectorised = In / chunk * chunk;
  for (int i = 0; i < vectorised; i += chunk) {
    // The next chunks of every image's x and dx, requested now: the images are In floats apart,
    // a stride no hardware prefetcher follows, so each chunk's reads otherwise wait on L3.
    if (i + prefetch_ahead < vectorised)
      for (int k = 0; k < n; ++k)
        for (int line = 0; line < chunk; line += 16) {  // 16 floats: a 64-byte line
          __builtin_prefetch(x + std::size_t(k) * In + i + prefetch_ahead + line, 0);
          if (dx) __builtin_prefetch(dx + std::size_t(k) * In + i + prefetch_ahead + line, 1);
        }
    simd::for_blocks<Out, groups>([&](auto rows, int o) {
      weight_grad_chunk<In, Out, decltype(rows)::value>(x + i, dy + o, dw + std::size_t(o) * In + i, n);
    });
    if (dx)
      simd::for_runtime_blocks<groups>(n, [&](auto images, int k) {
        input_grad_chunk<In, Out, decltype(images)::value>(w + i, dy + k * Out, dx + std::size_t(k) * In + i);
      });
  }
  for (int i = vectorised; i < In; ++i) {  // the inputs that do not fill a chunk
    for (int o = 0; o < Out; ++o)
      for (int k = 0; k < n; ++k) dw[std::size_t(o) * In + i] += dy[k * Out + o] * x[std::size_t(k) * In + i];
    if (dx)
      for (int k = 0; k < n; ++k) {
        float s = 0.0f;
        for (int o = 0; o < Out; ++o) s += dy[k * Out + o] * w[std::size_t(o) * In + i];
        dx[std::size_t(k) * In + i] = s;
      }
  }
}

}  // namespace linconv::kernels::LINCONV_ISA::dense
