// The shape-specialised kernels against independent references: the stride-1 convolution of
// direct_conv.hpp against the im2col + GEMM kernels of kernels.hpp (another algorithm and
// another summation order), and the dense kernels against plain loops in double. Geometries
// cover the report's layers, no padding, padding K - 1, even and 1x1 kernels, non-square
// images, and channel and tap counts that leave partial register blocks.
#include <catch2/catch.hpp>

#include "linconv/dense_kernels.hpp"
#include "linconv/direct_conv.hpp"
#include "support/gradient_check.hpp"

namespace {

using namespace linconv;
using kernels::ConvGeometry;
using testing::random_values;

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

template <int C, int H, int W, int O, int K, int P>
void check_direct_conv(int n) {
  constexpr ConvGeometry g{C, H, W, O, K, 1, P, H + 2 * P - K + 1, W + 2 * P - K + 1};
  using Direct = kernels::DirectConv<g>;
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
  CHECK(relative_error(y, y_ref) < 1e-6);

  Direct::backward(x.data(), w.data(), dy.data(), dx.data(), dw.data(), db.data(), n, direct_scratch.data());
  kernels::conv_backward(g, x.data(), w.data(), dy.data(), dx_ref.data(), dw_ref.data(), db_ref.data(), n,
                         gemm_scratch.data());
  CHECK(relative_error(dx, dx_ref) < 1e-6);
  CHECK(relative_error(dw, dw_ref) < 1e-6);
  CHECK(relative_error(db, db_ref) < 1e-6);

  // Without the input gradient (the first layer) the parameter gradients are the same.
  std::vector<float> dw_only = dw0, db_only = db0;
  Direct::backward(x.data(), w.data(), dy.data(), nullptr, dw_only.data(), db_only.data(), n,
                   direct_scratch.data());
  CHECK(dw_only == dw);
  CHECK(db_only == db);
}

template <int In, int Out>
void check_dense(int n) {
  CAPTURE(In, Out);
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

  kernels::dense::forward<In, Out>(x.data(), w.data(), b.data(), y.data(), n);
  kernels::dense::backward<In, Out>(x.data(), w.data(), dy.data(), dx.data(), dw.data(), db.data(), n);
  CHECK(relative_error(y, y_ref) < 1e-6);
  CHECK(relative_error(dx, dx_ref) < 1e-6);
  CHECK(relative_error(dw, dw_ref) < 1e-6);
  CHECK(relative_error(db, db_ref) < 1e-6);
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
}

TEST_CASE("kernels: dense forward and backward match plain loops in double", "[kernels]") {
  check_dense<1, 1>(3);
  check_dense<37, 5>(4);
  check_dense<64, 10>(2);
  check_dense<100, 33>(5);  // outputs beyond one register block
  check_dense<25088, 10>(3);
}
