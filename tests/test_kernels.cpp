// The shape-specialised kernels against independent references: the stride-1 convolution of
// direct_conv.hpp against the im2col + GEMM kernels of kernels.hpp (another algorithm and
// another summation order), and the dense kernels against plain loops in double. Geometries
// cover the report's layers, no padding, padding K - 1, even and 1x1 kernels, non-square
// images, and channel and tap counts that leave partial register blocks.
//
// Every instruction set this CPU supports is checked in every run (isa.hpp), whichever one the
// process dispatches to; the dispatching entry points must give the active one's results bit
// for bit. Tolerances: the sums are in float, over up to 25088 products (the dense layer) in
// chains as long as the vectors are short (6272 terms a lane with 4-lane SSE vectors).
#include <catch2/catch.hpp>

#include <limits>

#include "linconv/dense_kernels.hpp"
#include "linconv/direct_conv.hpp"
#include "support/gradient_check.hpp"

namespace {

using namespace linconv;
using kernels::ConvGeometry;
using testing::random_values;
using kernels::Isa;

constexpr double tolerance = 3e-6;

// The largest difference relative to the largest reference magnitude.
double relative_error(const std::vector<float>& got, const std::vector<float>& want) {
  REQUIRE(got.size() == want.size());
  double err = 0, scale = 1e-30;
  for (std::size_t i = 0; i < got.size(); ++i) {
    err = std::max(err, std::abs(double(got[i]) - want[i]));
    scale = std::max(scale, std::abs(double(want[i])));
  }
  return err / scale;
}

// The direct convolution's passes of one instruction set (Direct: its DirectPasses<g>).
template <int C, int H, int W, int O, int K, int P, template <ConvGeometry> class Passes>
void check_direct_conv_on(int n) {
  constexpr ConvGeometry g{C, H, W, O, K, 1, P, H + 2 * P - K + 1, W + 2 * P - K + 1};
  using Direct = Passes<g>;
  STATIC_REQUIRE(Direct::applies);
  CAPTURE(C, H, W, O, K, P);
  Rng rng(42);
  const std::size_t in = std::size_t(n) * C * H * W, out = std::size_t(n) * O * g.pixels();
  const auto x = random_values(in, rng), w = random_values(std::size_t(O) * g.patch(), rng);
  const auto b = random_values(O, rng), dy = random_values(out, rng);
  // Both start from the same nonzero gradients: the kernels add to dw and db.
  const auto dw0 = random_values(w.size(), rng), db0 = random_values(b.size(), rng);

  std::vector<float> direct_scratch(Direct::scratch_floats), gemm_scratch(g.scratch_floats());
  std::vector<float> y(out), y_ref(out), dx(in), dx_ref(in), dw = dw0, dw_ref = dw0, db = db0, db_ref = db0;
  Direct::forward(x.data(), w.data(), b.data(), y.data(), n, direct_scratch.data());
  kernels::conv_forward(g, x.data(), w.data(), b.data(), y_ref.data(), n, gemm_scratch.data());
  CHECK(relative_error(y, y_ref) < tolerance);

  Direct::backward(x.data(), w.data(), dy.data(), dx.data(), dw.data(), db.data(), n, direct_scratch.data());
  kernels::conv_backward(g, x.data(), w.data(), dy.data(), dx_ref.data(), dw_ref.data(), db_ref.data(), n,
                         gemm_scratch.data());
  CHECK(relative_error(dx, dx_ref) < tolerance);
  CHECK(relative_error(dw, dw_ref) < tolerance);
  CHECK(relative_error(db, db_ref) < tolerance);

  // Without the input gradient (the first layer) the parameter gradients are the same.
  std::vector<float> dw_only = dw0, db_only = db0;
  Direct::backward(x.data(), w.data(), dy.data(), nullptr, dw_only.data(), db_only.data(), n,
                   direct_scratch.data());
  CHECK(dw_only == dw);
  CHECK(db_only == db);

  // Prepared once, then image by image with the weight gradient between (as a Conv fused with
  // its activation runs them): the same results bit for bit.
  {
    std::vector<float> y_each(out), dx_each(in), dw_each = dw0, db_each = db0;
    std::vector<float> scratch(Direct::scratch_floats, std::numeric_limits<float>::quiet_NaN());
    Direct::prepare_forward(w.data(), scratch.data());
    for (int k = 0; k < n; ++k)
      Direct::forward_prepared(x.data() + k * in / n, w.data(), b.data(), y_each.data() + k * out / n, 1,
                               scratch.data());
    Direct::prepare_input_gradient(w.data(), scratch.data());
    for (int k = 0; k < n; ++k) {
      Direct::weight_gradient(x.data() + k * in / n, dy.data() + k * out / n, dw_each.data(), db_each.data(), 1,
                              scratch.data());
      Direct::input_gradient_prepared(dy.data() + k * out / n, dx_each.data() + k * in / n, 1, scratch.data());
    }
    CHECK(y_each == y);
    CHECK(dx_each == dx);
    CHECK(dw_each == dw);
    CHECK(db_each == db);
  }

  // The dispatching entry points run the active instruction set's passes.
  if (Direct::isa == kernels::active_isa()) {
    std::vector<float> y_dispatched(out), dx_dispatched(in), dw_dispatched = dw0, db_dispatched = db0;
    kernels::DirectConv<g>::forward(x.data(), w.data(), b.data(), y_dispatched.data(), n, direct_scratch.data());
    kernels::DirectConv<g>::backward(x.data(), w.data(), dy.data(), dx_dispatched.data(), dw_dispatched.data(),
                                     db_dispatched.data(), n, direct_scratch.data());
    CHECK(y_dispatched == y);
    CHECK(dx_dispatched == dx);
    CHECK(dw_dispatched == dw);
    CHECK(db_dispatched == db);
  }
}

// On every instruction set the CPU supports.
template <int C, int H, int W, int O, int K, int P>
void check_direct_conv(int n) {
  if (kernels::supported(Isa::avx512)) check_direct_conv_on<C, H, W, O, K, P, kernels::avx512::DirectPasses>(n);
  if (kernels::supported(Isa::avx2)) check_direct_conv_on<C, H, W, O, K, P, kernels::avx2::DirectPasses>(n);
  check_direct_conv_on<C, H, W, O, K, P, kernels::generic::DirectPasses>(n);
}

// The dense kernels of instruction set I.
template <Isa I>
struct DenseOn {
  template <int In, int Out>
  static void forward(const float* x, const float* w, const float* b, float* y, int n) {
    if constexpr (I == Isa::avx512) kernels::avx512::dense::forward<In, Out>(x, w, b, y, n);
    if constexpr (I == Isa::avx2) kernels::avx2::dense::forward<In, Out>(x, w, b, y, n);
    if constexpr (I == Isa::generic) kernels::generic::dense::forward<In, Out>(x, w, b, y, n);
  }
  template <int In, int Out>
  static void backward(const float* x, const float* w, const float* dy, float* dx, float* dw, float* db, int n) {
    if constexpr (I == Isa::avx512) kernels::avx512::dense::backward<In, Out>(x, w, dy, dx, dw, db, n);
    if constexpr (I == Isa::avx2) kernels::avx2::dense::backward<In, Out>(x, w, dy, dx, dw, db, n);
    if constexpr (I == Isa::generic) kernels::generic::dense::backward<In, Out>(x, w, dy, dx, dw, db, n);
  }
};

template <int In, int Out, Isa I>
void check_dense_on(int n) {
  CAPTURE(In, Out, kernels::isa_name(I));
  Rng rng(7);
  const auto x = random_values(std::size_t(n) * In, rng), w = random_values(std::size_t(Out) * In, rng);
  const auto b = random_values(Out, rng), dy = random_values(std::size_t(n) * Out, rng);
  const auto dw0 = random_values(w.size(), rng), db0 = random_values(b.size(), rng);

  std::vector<float> y(std::size_t(n) * Out), y_ref(y.size()), dx(x.size()), dx_ref(x.size());
  std::vector<float> dw = dw0, dw_ref = dw0, db = db0, db_ref = db0;
  for (int k = 0; k < n; ++k)
    for (int o = 0; o < Out; ++o) {
      double s = b[o];
      for (int i = 0; i < In; ++i) s += double(w[std::size_t(o) * In + i]) * x[std::size_t(k) * In + i];
      y_ref[std::size_t(k) * Out + o] = float(s);
    }
  for (int o = 0; o < Out; ++o) {
    double sb = db0[o];
    for (int k = 0; k < n; ++k) sb += dy[std::size_t(k) * Out + o];
    db_ref[o] = float(sb);
    for (int i = 0; i < In; ++i) {
      double s = dw0[std::size_t(o) * In + i];
      for (int k = 0; k < n; ++k) s += double(dy[std::size_t(k) * Out + o]) * x[std::size_t(k) * In + i];
      dw_ref[std::size_t(o) * In + i] = float(s);
    }
  }
  for (int k = 0; k < n; ++k)
    for (int i = 0; i < In; ++i) {
      double s = 0;
      for (int o = 0; o < Out; ++o) s += double(dy[std::size_t(k) * Out + o]) * w[std::size_t(o) * In + i];
      dx_ref[std::size_t(k) * In + i] = float(s);
    }

  DenseOn<I>::template forward<In, Out>(x.data(), w.data(), b.data(), y.data(), n);
  DenseOn<I>::template backward<In, Out>(x.data(), w.data(), dy.data(), dx.data(), dw.data(), db.data(), n);
  CHECK(relative_error(y, y_ref) < tolerance);
  CHECK(relative_error(dx, dx_ref) < tolerance);
  CHECK(relative_error(dw, dw_ref) < tolerance);
  CHECK(relative_error(db, db_ref) < tolerance);

  if (I == kernels::active_isa()) {  // the dispatching entry points run the active one's kernels
    std::vector<float> y_dispatched(y.size()), dx_dispatched(x.size()), dw_dispatched = dw0, db_dispatched = db0;
    kernels::dense::forward<In, Out>(x.data(), w.data(), b.data(), y_dispatched.data(), n);
    kernels::dense::backward<In, Out>(x.data(), w.data(), dy.data(), dx_dispatched.data(), dw_dispatched.data(),
                                      db_dispatched.data(), n);
    CHECK(y_dispatched == y);
    CHECK(dx_dispatched == dx);
    CHECK(dw_dispatched == dw);
    CHECK(db_dispatched == db);
  }
}

// On every instruction set the CPU supports.
template <int In, int Out>
void check_dense(int n) {
  if (kernels::supported(Isa::avx512)) check_dense_on<In, Out, Isa::avx512>(n);
  if (kernels::supported(Isa::avx2)) check_dense_on<In, Out, Isa::avx2>(n);
  check_dense_on<In, Out, Isa::generic>(n);
}

}  // namespace

TEST_CASE("kernels: stride-1 convolution matches im2col + GEMM, the report's layers", "[kernels]") {
  check_direct_conv<1, 28, 28, 8, 5, 2>(2);
  check_direct_conv<8, 28, 28, 16, 5, 2>(2);
  check_direct_conv<16, 28, 28, 32, 3, 1>(2);
}

TEST_CASE("kernels: stride-1 convolution matches im2col + GEMM, other shapes", "[kernels]") {
  check_direct_conv<3, 7, 6, 4, 3, 0>(3);    // no padding
  check_direct_conv<2, 5, 9, 3, 3, 2>(2);    // padding K - 1: the output is larger than the input
  check_direct_conv<5, 4, 4, 9, 1, 0>(2);    // 1x1 kernel
  check_direct_conv<3, 11, 3, 17, 4, 1>(1);  // even kernel, 17 channels: partial blocks
  check_direct_conv<1, 2, 40, 1, 2, 0>(4);   // one channel in and out, a wide strip
  // The weight gradient with channels in the lanes (out_c a multiple of the vector width):
  check_direct_conv<3, 9, 7, 16, 3, 1>(2);   // odd width (one position a step), 63 pixels
  check_direct_conv<5, 6, 5, 48, 5, 2>(2);   // 3 vectors of 16 channels, 125 taps: partial blocks
  // The correlations with channels in the lanes (rows of at least one vector):
  check_direct_conv<4, 5, 21, 16, 3, 1>(2);  // rows in blocks of 11 (AVX-512) or 7 (AVX2)
  check_direct_conv<2, 3, 23, 16, 3, 1>(2);  // 12-wide blocks, the last one overlapping
  check_direct_conv<16, 4, 19, 16, 5, 2>(2); // the input gradient by channel too (16 inputs)
  // By pairs of positions (8 channels with AVX-512), odd and even widths:
  check_direct_conv<3, 6, 11, 8, 3, 1>(2);   // output by pairs: 5 pairs, the last block overlaps
  check_direct_conv<8, 5, 6, 3, 2, 0>(2);    // the input gradient by pairs, an even kernel
}

TEST_CASE("kernels: dense forward and backward match plain loops in double", "[kernels]") {
  check_dense<1, 1>(3);
  check_dense<37, 5>(4);
  check_dense<64, 10>(2);
  check_dense<100, 33>(5);  // outputs beyond one register block
  check_dense<25088, 10>(3);
}
