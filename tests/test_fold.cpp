// Folding (fold.hpp): the folded types computed from FashionNet for each snap pattern, and
// folded logits against the unfolded network's with the same alphas set exactly to 0 or 1, on
// the first 1000 images of FashionMNIST's test set.
//
// The bound: both sides compute the same affine map in float32 in different orders (the folded
// Dense sums F products of a precomputed W; the network sums conv by conv). Each logit is a sum
// of terms whose magnitudes add up to at most S = sum_i |W_oi x_i| + |b_o| (the absolute-value
// map), and float32 summation in either order is within a few times n * 2^-24 * S in theory but
// about sqrt(n) * 2^-24 * S in practice. We allow 2e-6 * S, about 34 ulps of S (measured: at
// most 5.2e-7 * S, for the network folded whole, whose W sums the most products that cancel):
// far below any real mistake (a wrong tap or sign changes logits by percents).
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>

#include "linconv/fold.hpp"
#include "linconv/linconv.hpp"

namespace {

using namespace linconv;
using Net = FashionNet;

constexpr SnapPattern<Net> pattern(Snap a, Snap b, Snap c) { return {a, b, c}; }
constexpr Snap K = Snap::keep, I = Snap::identity, R = Snap::relu;

// The first n test images of FashionMNIST, scaled to [0, 1] as the report's networks take them.
std::vector<float> test_images(int n) {
  const Dataset test = load_fashion_mnist(default_data_dir(), Split::test);
  std::vector<float> images(std::size_t(n) * 784);
  scale_pixels(std::span(test.images.pixels).first(images.size()), InputScale::unit, images.data());
  return images;
}

template <class N>
std::vector<float> logits_of(const Params<N>& params, const std::vector<float>& images, int n) {
  ThreadPool pool(1);
  Workspace<N> ws(n, 1);
  std::vector<std::uint8_t> labels(n, 0);
  evaluate(params, Batch<N::input_shape>{images.data(), n}, labels.data(), ws, pool);
  std::vector<float> logits;
  for (int row = 0; row < n; ++row) logits.insert(logits.end(), ws.activation(N::layer_count, row), ws.activation(N::layer_count, row) + 10);
  return logits;
}

}  // namespace

TEST_CASE("fold: the folded types of the report's network", "[fold]") {
  STATIC_REQUIRE(std::is_same_v<Folded<Net, pattern(K, K, K)>, Net>);
  STATIC_REQUIRE(std::is_same_v<Folded<Net, pattern(K, K, I)>,
                                Sequential<Input<1, 28, 28>, Conv<8, 5, 1, 2>, ReLUAlpha, Conv<16, 5, 1, 2>, ReLUAlpha,
                                           Flatten, Dense<10>>>);
  STATIC_REQUIRE(std::is_same_v<Folded<Net, pattern(R, I, I)>,
                                Sequential<Input<1, 28, 28>, Conv<8, 5, 1, 2>, ReLU, Flatten, Dense<10>>>);
  STATIC_REQUIRE(std::is_same_v<Folded<Net, pattern(I, I, I)>, Sequential<Input<1, 28, 28>, Flatten, Dense<10>>>);
  // An identity with a non-linearity behind it stays, as a fixed activation.
  STATIC_REQUIRE(std::is_same_v<Folded<Net, pattern(I, K, R)>,
                                Sequential<Input<1, 28, 28>, Conv<8, 5, 1, 2>, Identity, Conv<16, 5, 1, 2>, ReLUAlpha,
                                           Conv<32, 3, 1, 1>, ReLU, Flatten, Dense<10>>>);
  STATIC_REQUIRE(Folded<Net, pattern(I, I, I)>::param_count == 784 * 10 + 10);
  CHECK(folded_convolutions<Net, pattern(K, K, I)>() == "conv3");
  CHECK(folded_convolutions<Net, pattern(K, I, I)>() == "conv2+conv3");
  CHECK(folded_convolutions<Net, pattern(I, I, I)>() == "all");
  CHECK(folded_convolutions<Net, pattern(I, K, R)>() == "none");
  CHECK(folded_layers<Net, pattern(K, I, I)>() == std::vector<std::string>{"conv2", "act2", "conv3", "act3", "flatten1", "fc1"});
}

TEST_CASE("fold: a network that ends in a non-linearity is only snapped", "[fold]") {
  using Tail = Sequential<Input<1, 4, 4>, Flatten, Dense<3>, ReLUAlpha>;
  STATIC_REQUIRE(std::is_same_v<Folded<Tail, SnapPattern<Tail>{K}>, Tail>);
  STATIC_REQUIRE(std::is_same_v<Folded<Tail, SnapPattern<Tail>{R}>, Sequential<Input<1, 4, 4>, Flatten, Dense<3>, ReLU>>);
  STATIC_REQUIRE(std::is_same_v<Folded<Tail, SnapPattern<Tail>{I}>, Sequential<Input<1, 4, 4>, Flatten, Dense<3>>>);
  CHECK(folded_layers<Tail, SnapPattern<Tail>{R}>().empty());
}

TEST_CASE("fold: snap patterns from alphas, and the run-time choice of the compile-time type", "[fold]") {
  Params<Net> params = init_like_pytorch<Net>(1);
  const auto alphas = alpha_tensors<Net>();
  params.values()[alphas[0].offset] = 0.9995f;
  params.values()[alphas[1].offset] = -0.0004f;
  params.values()[alphas[2].offset] = 0.3f;
  CHECK(snap_pattern(params, 1e-3f) == pattern(R, I, K));
  CHECK(snap_pattern(params, 1e-4f) == pattern(K, K, K));
  const std::string architecture = with_snap_pattern<Net>(pattern(K, I, I), [&]<SnapPattern<Net> P>() {
    return std::string(Folded<Net, P>::architecture.view());
  });
  CHECK(architecture == "Input<1,28,28>,Conv<8,5,1,2>,ReLUAlpha,Flatten,Dense<10>");
}

TEST_CASE("fold: folded logits equal the snapped network's on the test set, for every suffix", "[fold]") {
  Params<Net> trained = init_like_pytorch<Net>(7, {.alpha = 0.4f});
  // Under AddressSanitizer (instrumented loads, -O1) 1000 images take two minutes, most of the
  // sanitizer phase: 100 reach every memory access the check makes, the release build's 1000 its
  // numbers.
#ifdef __SANITIZE_ADDRESS__
  const int n = 100;
#else
  const int n = 1000;
#endif
  const std::vector<float> images = test_images(n);
  auto check = [&]<SnapPattern<Net> P>() {
    const Params<Net> reference = snapped(trained, P);
    const Params<Folded<Net, P>> folded = fold<Net, P>(reference);
    const std::vector<float> expected = logits_of(reference, images, n), got = logits_of(folded, images, n);
    // S per logit: the absolute-value map, |W| |x| + |b|, through the folded weights.
    using Out = Folded<Net, P>;
    const float* w = folded.values().data() + Out::param_offsets[Out::layer_count - 1];
    constexpr std::size_t F = Folding<Net, P>::suffix_input.size();
    INFO(Out::architecture.view());
    double worst = 0.0;
    Workspace<Out> ws(1, 1);
    for (int k = 0; k < n; ++k) {
      // The suffix's input for image k: the kept layers' output.
      std::copy_n(images.data() + std::size_t(k) * 784, 784, ws.activation(0, 0));
      forward<Out>(folded, ws, Slice{0, 1, 0});
      const float* x = ws.activation(Out::layer_count - 1, 0);
      for (std::size_t o = 0; o < 10; ++o) {
        double s = 0.0;
        for (std::size_t i = 0; i < F; ++i) s += std::abs(double(w[o * F + i]) * x[i]);
        s += std::abs(double(w[10 * F + o]));
        const double d = std::abs(double(got[std::size_t(k) * 10 + o]) - expected[std::size_t(k) * 10 + o]);
        worst = std::max(worst, d / s);
      }
    }
    INFO("worst |folded - unfolded| / S = " << worst);
    CHECK(worst <= 2e-6);
  };
  check.operator()<pattern(K, K, I)>();
  check.operator()<pattern(R, I, I)>();
  check.operator()<pattern(K, I, I)>();
  check.operator()<pattern(I, I, I)>();
  check.operator()<pattern(I, K, R)>();
}

TEST_CASE("fold: Model loads a folded checkpoint through the type computed from FashionNet", "[fold]") {
  constexpr SnapPattern<Net> all = pattern(I, I, I);
  const Params<Folded<Net, all>> folded = fold<Net, all>(snapped(init_like_pytorch<Net>(2), all));
  const std::filesystem::path file = std::filesystem::temp_directory_path() / "linconv_test_folded.safetensors";
  save_checkpoint(file, folded, "{}");
  const auto model = Model<Folded<Net, all>>::load(file);
  std::filesystem::remove(file);
  std::vector<float> image(784);
  Rng rng(5);
  for (float& v : image) v = rng.uniform();
  const auto logits = model.predict(Model<Folded<Net, all>>::Image(image.data(), 784));
  // One Dense (Flatten has no tensor: fc1.weight [10, 784] then fc1.bias): W x + b, in double.
  for (std::size_t o = 0; o < 10; ++o) {
    double z = folded.values()[784 * 10 + o];
    for (std::size_t i = 0; i < 784; ++i) z += double(folded.values()[o * 784 + i]) * image[i];
    CHECK(logits[o] == Approx(z).epsilon(1e-5).margin(1e-5));
  }
}

TEST_CASE("fold: FLOPs per image of the report's network and of its folded forms", "[fold]") {
  // conv1 28*28*8 outputs of 25 taps + bias, conv2 of 200 + bias, conv3 of 144 + bias, 2 * 25088 * 10 + 10 for fc1,
  // one per activation element.
  constexpr double convs = 2.0 * 6272 * 26 + 2.0 * 12544 * 201 + 2.0 * 25088 * 145;
  constexpr double fc = 2.0 * 10 * 25089, activations = 6272 + 12544 + 25088;
  STATIC_REQUIRE(flops_per_image<Net>() == convs + fc + activations);
  STATIC_REQUIRE(flops_per_image<Folded<Net, pattern(I, I, I)>>() == 2.0 * 10 * 785);
}

// Merging convolutions (fold.hpp, MergedConvs and merge_convs) against an independent reference:
// conv2(conv1(x)) computed in double by the loops below, straight from the definition of
// cross-correlation with zero padding, on random weights, biases and inputs.
//
// Where they agree: conv2 reads conv1's map through its own zero padding, the merged
// convolution reads x through padding P1 + P2. The two are the same map wherever conv2's window
// stays inside conv1's output: output rows and columns q with P2 <= q < H - P2 (for "same"
// convolutions). In the outer ring of width P2 they differ (there conv2 sees zeros where the
// merged convolution sees b1 plus conv1 of x), so a chain conv1, conv2, conv3 differs in a ring
// of width P2 + P3. The bound where they agree: the merged layer sums n = C*K*K + 1 float terms
// (its weights each rounded once from the exact double sum), so its error is at most
// (n + 1) * 2^-24 * S, S the absolute-value map sum |W| |x| + |b| (the classic bound for float
// summation in any order); the double reference adds nothing visible.
namespace {

struct RefConv {
  int out, in, k, pad;
  std::vector<double> w, b;
};

RefConv random_conv(Rng& rng, int out, int in, int k, int pad) {
  RefConv c{out, in, k, pad, std::vector<double>(std::size_t(out) * in * k * k), std::vector<double>(std::size_t(out))};
  for (double& v : c.w) v = rng.uniform(-0.5f, 0.5f);
  for (double& v : c.b) v = rng.uniform(-0.5f, 0.5f);
  return c;
}

// y[o, i, j] = b[o] + sum_{c, u, v} w[o, c, u, v] x[c, i + u - pad, j + v - pad], zero padded ("same" size).
std::vector<double> correlate(const RefConv& c, const std::vector<double>& x, int h, int w) {
  std::vector<double> y(std::size_t(c.out) * h * w);
  for (int o = 0; o < c.out; ++o)
    for (int i = 0; i < h; ++i)
      for (int j = 0; j < w; ++j) {
        double sum = c.b[std::size_t(o)];
        for (int ch = 0; ch < c.in; ++ch)
          for (int u = 0; u < c.k; ++u)
            for (int v = 0; v < c.k; ++v) {
              const int yy = i + u - c.pad, xx = j + v - c.pad;
              if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
              sum += c.w[((std::size_t(o) * c.in + ch) * c.k + u) * c.k + v] * x[(std::size_t(ch) * h + yy) * w + xx];
            }
        y[(std::size_t(o) * h + i) * w + j] = sum;
      }
  return y;
}

template <class Net>
Params<Net> params_of(const std::vector<RefConv>& convs) {
  Params<Net> params;
  std::size_t at = 0;
  for (const RefConv& c : convs) {
    for (const double v : c.w) params.values()[at++] = float(v);
    for (const double v : c.b) params.values()[at++] = float(v);
  }
  REQUIRE(at == Net::param_count);
  return params;
}

// Layer 0 of a network whose only layer is a convolution, applied by the library to one image.
template <class Net>
std::vector<float> apply_conv(const Params<Net>& params, const std::vector<float>& x) {
  using L = typename Net::template layer<0>;
  std::vector<float> y(L::out.size()), scratch(L::scratch_floats + 1);
  const Context context{Mode::evaluation, 0, nullptr, scratch.data(), nullptr};
  L::forward(LayerTensors{params.values().data(), nullptr, nullptr, nullptr}, Images<L::in>{x.data(), 1},
             ImagesOut<L::out>{y.data(), 1}, context);
  return y;
}

}  // namespace

TEST_CASE("merge: the merged types, chains merged left to right, others kept", "[fold][merge]") {
  STATIC_REQUIRE(std::is_same_v<MergedConvs<Net>, Sequential<Input<1, 28, 28>, Conv<32, 11, 1, 5>, Identity, Flatten, Dense<10>>>);
  STATIC_REQUIRE(std::is_same_v<MergedConvs<FashionNetWith<Identity>>, MergedConvs<Net>>);
  STATIC_REQUIRE(merged_conv_count<Net> == 4);  // two convolutions and two identities go
  STATIC_REQUIRE(merged_conv_count<FashionNetWith<ReLU>> == 0);
  STATIC_REQUIRE(merged_conv_count<FashionNetBnPool> == 0);
  using Strided = Sequential<Input<1, 16, 16>, Conv<4, 3, 2, 1>, ReLUAlpha, Conv<4, 3, 1, 1>, ReLUAlpha, Conv<2, 5, 1, 2>>;
  STATIC_REQUIRE(std::is_same_v<MergedConvs<Strided>, Sequential<Input<1, 16, 16>, Conv<4, 3, 2, 1>, Identity, Conv<2, 7, 1, 3>>>);
  CHECK(merged_chains<Net>() == std::vector<std::string>{"conv1+conv2+conv3"});
  CHECK(merged_chains<Strided>() == std::vector<std::string>{"conv2+conv3"});

  // Merge patterns that keep some alphas: only the convolutions around an identity merge.
  constexpr SnapPattern<Net> first{Snap::identity, Snap::keep, Snap::keep};
  STATIC_REQUIRE(std::is_same_v<MergedConvs<Net, first>, Sequential<Input<1, 28, 28>, Conv<16, 9, 1, 4>, ReLUAlpha,
                                                                    Conv<32, 3, 1, 1>, ReLUAlpha, Flatten, Dense<10>>>);
  constexpr SnapPattern<Net> last_two{Snap::keep, Snap::identity, Snap::identity};
  STATIC_REQUIRE(std::is_same_v<MergedConvs<Net, last_two>, Sequential<Input<1, 28, 28>, Conv<8, 5, 1, 2>, ReLUAlpha,
                                                                       Conv<32, 7, 1, 3>, Identity, Flatten, Dense<10>>>);
  STATIC_REQUIRE(merged_conv_count<Net, SnapPattern<Net>{}> == 0);  // every alpha kept
  STATIC_REQUIRE(merged_conv_count<Net, merge_pattern_number<Net>(1)> == 2);  // bit 0: act1 the identity
  CHECK(merged_chains<Net, first>() == std::vector<std::string>{"conv1+conv2"});
  CHECK(merged_chains<Net, last_two>() == std::vector<std::string>{"conv2+conv3"});
}

TEST_CASE("merge: a kept alpha keeps its value, and the layers around the merge their tensors", "[fold][merge]") {
  // act1 at 0: conv1 and conv2 merge as they do alone (Two), act2 and act3 stay with their
  // values, conv3 and the dense layer with theirs.
  using Two = Sequential<Input<1, 28, 28>, Conv<8, 5, 1, 2>, ReLUAlpha, Conv<16, 5, 1, 2>>;
  constexpr SnapPattern<Net> first{Snap::identity, Snap::keep, Snap::keep};
  using Merged = MergedConvs<Net, first>;
  Params<Net> params = init_like_pytorch<Net>(7);
  const auto alphas = alpha_tensors<Net>();
  params.values()[alphas[0].offset] = 0.0f;
  params.values()[alphas[1].offset] = 0.3f;
  params.values()[alphas[2].offset] = 0.8f;
  const Params<Merged> merged = merge_convs<Net, first>(params);

  Params<Two> two;
  const std::size_t two_values = Net::param_offsets[3];  // conv1, act1, conv2
  std::copy_n(params.values().begin(), two_values, two.values().begin());
  const Params<MergedConvs<Two>> alone = merge_convs<Two>(two);
  CHECK(std::equal(alone.values().begin(), alone.values().end(), merged.values().begin()));

  CHECK(merged.values()[Merged::param_offsets[1]] == 0.3f);  // act2, now act1
  CHECK(merged.values()[Merged::param_offsets[3]] == 0.8f);  // act3, now act2
  const std::size_t rest = Net::param_count - Net::param_offsets[4];  // conv3, act3, dense
  CHECK(std::equal(params.values().end() - std::ptrdiff_t(rest), params.values().end(),
                   merged.values().begin() + std::ptrdiff_t(Merged::param_offsets[2])));
}

TEST_CASE("merge: the merged convolution is conv2 after conv1 but for the outer ring, bias included", "[fold][merge]") {
  constexpr int H = 12;
  using Two = Sequential<Input<3, H, H>, Conv<4, 5, 1, 2>, Identity, Conv<5, 3, 1, 1>>;
  using One = MergedConvs<Two>;
  STATIC_REQUIRE(std::is_same_v<One, Sequential<Input<3, H, H>, Conv<5, 7, 1, 3>>>);
  Rng rng(11);
  const RefConv c1 = random_conv(rng, 4, 3, 5, 2), c2 = random_conv(rng, 5, 4, 3, 1);
  const Params<One> merged = merge_convs<Two>(params_of<Two>({c1, c2}));

  // The bias formula, b[o] = b2[o] + sum_m b1[m] sum_v W2[o, m, v], from the reference's numbers.
  for (int o = 0; o < 5; ++o) {
    double expected = c2.b[std::size_t(o)];
    for (int m = 0; m < 4; ++m)
      for (int v = 0; v < 9; ++v) expected += c1.b[std::size_t(m)] * c2.w[(std::size_t(o) * 4 + m) * 9 + std::size_t(v)];
    CHECK(merged.values()[5 * 3 * 49 + std::size_t(o)] == Approx(expected).epsilon(1e-6));
  }

  int ring_differs = 0;
  for (int trial = 0; trial < 3; ++trial) {
    std::vector<double> x(3 * H * H);
    for (double& v : x) v = rng.uniform(-1.0f, 1.0f);
    const std::vector<double> expected = correlate(c2, correlate(c1, x, H, H), H, H);
    const std::vector<float> got = apply_conv(merged, std::vector<float>(x.begin(), x.end()));
    for (int o = 0; o < 5; ++o)
      for (int i = 0; i < H; ++i)
        for (int j = 0; j < H; ++j) {
          const std::size_t at = (std::size_t(o) * H + i) * H + j;
          double s = std::abs(double(merged.values()[5 * 3 * 49 + std::size_t(o)]));
          for (int ch = 0; ch < 3; ++ch)
            for (int u = 0; u < 7; ++u)
              for (int v = 0; v < 7; ++v) {
                const int yy = i + u - 3, xx = j + v - 3;
                if (yy >= 0 && yy < H && xx >= 0 && xx < H)
                  s += std::abs(double(merged.values()[((std::size_t(o) * 3 + ch) * 7 + u) * 7 + v]) *
                                x[(std::size_t(ch) * H + yy) * H + xx]);
              }
          const double bound = (3 * 49 + 2) * 0x1.0p-24 * s, difference = std::abs(double(got[at]) - expected[at]);
          const bool ring = i < 1 || i >= H - 1 || j < 1 || j >= H - 1;  // P2 = 1
          if (!ring) {
            INFO("o " << o << " i " << i << " j " << j);
            CHECK(difference <= bound);
          } else {
            ring_differs += difference > bound;
          }
        }
  }
  CHECK(ring_differs > 0);  // the ring is where zero padding differs, and it does
}

TEST_CASE("merge: the report's three convolutions merge into one, exact in the interior", "[fold][merge]") {
  // The network as far as conv3 (the rest is kept as it is): conv3(conv2(conv1(x))) against the
  // merged Conv<32, 11, 1, 5>, on the interior 3 <= q < 25 (ring P2 + P3 = 3).
  using Three = Sequential<Input<1, 28, 28>, Conv<8, 5, 1, 2>, ReLUAlpha, Conv<16, 5, 1, 2>, ReLUAlpha, Conv<32, 3, 1, 1>>;
  using One = MergedConvs<Three>;
  STATIC_REQUIRE(std::is_same_v<One, Sequential<Input<1, 28, 28>, Conv<32, 11, 1, 5>>>);
  Params<Three> params = init_like_pytorch<Three>(5, {.alpha = 0.0f});
  const Params<One> merged = merge_convs<Three>(params);
  auto ref = [&](std::size_t layer, int out, int in, int k, int pad) {
    const float* p = params.values().data() + Three::param_offsets[layer];
    const std::size_t weights = std::size_t(out) * in * k * k;
    return RefConv{out, in, k, pad, {p, p + weights}, {p + weights, p + weights + std::size_t(out)}};
  };
  Rng rng(3);
  std::vector<double> x(28 * 28);
  for (double& v : x) v = rng.uniform(0.0f, 1.0f);
  const std::vector<double> expected =
      correlate(ref(4, 32, 16, 3, 1), correlate(ref(2, 16, 8, 5, 2), correlate(ref(0, 8, 1, 5, 2), x, 28, 28), 28, 28), 28, 28);
  const std::vector<float> got = apply_conv(merged, std::vector<float>(x.begin(), x.end()));
  double largest = 0.0, largest_interior = 0.0;
  for (int o = 0; o < 32; ++o)
    for (int i = 0; i < 28; ++i)
      for (int j = 0; j < 28; ++j) {
        const std::size_t at = (std::size_t(o) * 28 + i) * 28 + j;
        const double d = std::abs(double(got[at]) - expected[at]);
        largest = std::max(largest, std::abs(expected[at]));
        if (i >= 3 && i < 25 && j >= 3 && j < 25) largest_interior = std::max(largest_interior, d);
      }
  // S is at most (n + 1) * max|W| * max|x| ~ 122 * 0.2 here; 1e-5 * max|y| is far below a wrong tap.
  CHECK(largest_interior <= 1e-5 * std::max(1.0, largest));
}
