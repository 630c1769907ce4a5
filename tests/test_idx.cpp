// The IDX reader on small plain and gzip files written into a temporary directory (good ones and
// every kind of damage), and on the real FashionMNIST test split.
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "linconv/error.hpp"
#include "linconv/idx.hpp"
#include "support/files.hpp"

namespace fs = std::filesystem;
using Catch::Contains;
using linconv::load_fashion_mnist;
using linconv::read_idx_images;
using linconv::read_idx_labels;
using linconv::Split;
using linconv::testing::Bytes;
using linconv::testing::idx;
using linconv::testing::images_file;
using linconv::testing::labels_file;
using linconv::testing::read_file;
using linconv::testing::TempDir;
using linconv::testing::write_file;
using linconv::testing::write_gz;

namespace {

// n deterministic, poorly compressible bytes.
Bytes noise(std::size_t n, std::uint32_t seed = 1) {
  std::mt19937 gen(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<std::uint8_t>(gen() >> 24);
  return b;
}

// A file's bytes, for editing.
Bytes read_bytes(const fs::path& file) {
  const std::string bytes = read_file(file);
  return {bytes.begin(), bytes.end()};
}

}  // namespace

// `expr` throws linconv::Error with a one-line message that names `file` and contains `problem`.
#define REQUIRE_IDX_ERROR(expr, file, problem)                                                \
  do {                                                                                        \
    REQUIRE_THROWS_AS(expr, linconv::Error);                                                  \
    REQUIRE_THROWS_WITH(expr, Contains(fs::path(file).string()) && Contains(problem) &&       \
                                  !Contains("\n"));                                           \
  } while (false)

TEST_CASE("idx: plain and gzip files read back exactly") {
  TempDir dir;
  const Bytes pixels = noise(3 * 4 * 5);
  const Bytes labels{7, 0, 9};
  write_file(dir / "images", images_file(3, 4, 5, pixels));
  write_gz(dir / "images.gz", images_file(3, 4, 5, pixels));
  write_file(dir / "labels", labels_file(labels));
  write_gz(dir / "labels.gz", labels_file(labels));
  for (const char* name : {"images", "images.gz"}) {
    INFO(name);
    const auto im = read_idx_images(dir / name);
    CHECK(im.count == 3);
    CHECK(im.rows == 4);
    CHECK(im.cols == 5);
    CHECK(im.pixels == pixels);
  }
  CHECK(read_idx_labels(dir / "labels") == labels);
  CHECK(read_idx_labels(dir / "labels.gz") == labels);
}

TEST_CASE("idx: truncated and over-long data") {
  TempDir dir;
  const Bytes short_pixels = noise(59);
  const Bytes long_pixels = noise(62);
  write_file(dir / "short", images_file(3, 4, 5, short_pixels));
  write_gz(dir / "short.gz", images_file(3, 4, 5, short_pixels));
  write_file(dir / "long", images_file(3, 4, 5, long_pixels));
  write_gz(dir / "long.gz", images_file(3, 4, 5, long_pixels));
  for (const char* name : {"short", "short.gz"})
    REQUIRE_IDX_ERROR(read_idx_images(dir / name), dir / name,
                      "truncated: header announces 3 images of 4x5 (60 bytes) but the file "
                      "holds 59");
  for (const char* name : {"long", "long.gz"})
    REQUIRE_IDX_ERROR(read_idx_images(dir / name), dir / name,
                      "trailing bytes: header announces 3 images of 4x5 (60 bytes) but the file "
                      "holds 62");

  write_file(dir / "labels", idx(0x801, {5}, {1, 2, 3}));
  REQUIRE_IDX_ERROR(read_idx_labels(dir / "labels"), dir / "labels",
                    "truncated: header announces 5 labels (5 bytes) but the file holds 3");
  // A header announcing far more than the file holds fails as truncated, not as an allocation.
  write_file(dir / "liar", idx(0x801, {1u << 30}, {1, 2, 3}));
  REQUIRE_IDX_ERROR(read_idx_labels(dir / "liar"), dir / "liar",
                    "truncated: header announces 1073741824 labels (1073741824 bytes) but the file "
                    "holds 3");
}

TEST_CASE("idx: wrong magic number and number of dimensions") {
  TempDir dir;
  write_file(dir / "magic", idx(0x12345678, {1, 1, 1}, {0}));
  REQUIRE_IDX_ERROR(read_idx_images(dir / "magic"), dir / "magic",
                    "wrong magic number 0x12345678 (expected 0x00000803, an IDX image file)");
  REQUIRE_IDX_ERROR(read_idx_labels(dir / "magic"), dir / "magic",
                    "wrong magic number 0x12345678 (expected 0x00000801, an IDX label file)");

  write_file(dir / "labels", labels_file({1, 2}));
  REQUIRE_IDX_ERROR(read_idx_images(dir / "labels"), dir / "labels",
                    "wrong magic number 0x00000801 (expected 0x00000803, an IDX image file): "
                    "number of dimensions 1 instead of 3");
  write_file(dir / "images", images_file(1, 1, 1, {0}));
  REQUIRE_IDX_ERROR(read_idx_labels(dir / "images"), dir / "images",
                    "number of dimensions 3 instead of 1");
  write_gz(dir / "2d.gz", idx(0x802, {28, 28}, noise(784)));
  REQUIRE_IDX_ERROR(read_idx_images(dir / "2d.gz"), dir / "2d.gz",
                    "number of dimensions 2 instead of 3");

  write_file(dir / "empty", Bytes{});
  REQUIRE_IDX_ERROR(read_idx_images(dir / "empty"), dir / "empty",
                    "too short for an IDX header: ends after 0 bytes, in the magic number");
  write_file(dir / "no_sizes", idx(0x803, {10, 28}, {}));
  REQUIRE_IDX_ERROR(read_idx_images(dir / "no_sizes"), dir / "no_sizes",
                    "too short for an IDX header: ends after 12 bytes, in the dimension sizes");
}

TEST_CASE("idx: zero and absurd dimensions") {
  TempDir dir;
  write_file(dir / "zero_count", images_file(0, 28, 28, {}));
  REQUIRE_IDX_ERROR(read_idx_images(dir / "zero_count"), dir / "zero_count",
                    "zero size: header announces 0 images of 28x28");
  write_file(dir / "zero_rows", images_file(5, 0, 28, {}));
  REQUIRE_IDX_ERROR(read_idx_images(dir / "zero_rows"), dir / "zero_rows",
                    "zero size: header announces 5 images of 0x28");
  write_file(dir / "zero_labels", labels_file({}));
  REQUIRE_IDX_ERROR(read_idx_labels(dir / "zero_labels"), dir / "zero_labels",
                    "zero size: header announces 0 labels");

  // 2^96 - ... bytes: would overflow a 64-bit product.
  write_file(dir / "huge", images_file(0xffffffff, 0xffffffff, 0xffffffff, {}));
  REQUIRE_IDX_ERROR(read_idx_images(dir / "huge"), dir / "huge",
                    "implausible size: header announces 4294967295 images of "
                    "4294967295x4294967295, more than the limit of 2147483647 bytes");
  // 70000 * 200 * 200 = 2.8e9 bytes: each size plausible, the product not.
  write_file(dir / "big", images_file(70000, 200, 200, {}));
  REQUIRE_IDX_ERROR(read_idx_images(dir / "big"), dir / "big", "implausible size");
  write_file(dir / "many_labels", idx(0x801, {0x80000000u}, {}));
  REQUIRE_IDX_ERROR(read_idx_labels(dir / "many_labels"), dir / "many_labels", "implausible size");
}

TEST_CASE("idx: corrupt gzip data") {
  TempDir dir;
  const fs::path good = dir / "good.gz";
  // Larger than zlib's read-ahead buffers, so that the end of the file is reached only by reading
  // on past the data ("cut in the trailer" passes only because the reader does).
  write_gz(good, images_file(400, 28, 28, noise(400 * 28 * 28)));
  const Bytes gz = read_bytes(good);
  REQUIRE(gz.size() > 300'000);

  SECTION("bytes flipped in the middle") {
    Bytes bad = gz;
    for (std::size_t i = bad.size() / 2; i < bad.size() / 2 + 8; ++i) bad[i] ^= 0xff;
    write_file(good, bad);
    REQUIRE_IDX_ERROR(read_idx_images(good), good, "corrupt gzip data");
  }
  // The trailer follows all of the data: only a read to the end finds these.
  SECTION("bad CRC in the trailer") {
    Bytes bad = gz;
    bad[bad.size() - 8] ^= 0x01;
    write_file(good, bad);
    REQUIRE_IDX_ERROR(read_idx_images(good), good,
                      "corrupt gzip data (incorrect data check)");
  }
  SECTION("bad length in the trailer") {
    Bytes bad = gz;
    bad[bad.size() - 1] ^= 0x01;
    write_file(good, bad);
    REQUIRE_IDX_ERROR(read_idx_images(good), good, "corrupt gzip data (incorrect length check)");
  }
  SECTION("cut in the middle") {
    write_file(good, Bytes(gz.begin(), gz.begin() + static_cast<std::ptrdiff_t>(gz.size() / 2)));
    REQUIRE_IDX_ERROR(read_idx_images(good), good, "truncated gzip data");
  }
  SECTION("cut in the trailer") {
    write_file(good, Bytes(gz.begin(), gz.end() - 4));
    REQUIRE_IDX_ERROR(read_idx_images(good), good,
                      "truncated gzip data (unexpected end of file)");
  }
  SECTION("trailer missing") {
    write_file(good, Bytes(gz.begin(), gz.end() - 8));
    REQUIRE_IDX_ERROR(read_idx_images(good), good,
                      "truncated gzip data (unexpected end of file)");
  }
}

TEST_CASE("idx: bytes after the end of the gzip data") {
  TempDir dir;
  const fs::path file = dir / "images.gz";
  const Bytes pixels = noise(60);
  write_gz(file, images_file(3, 4, 5, pixels));
  const Bytes gz = read_bytes(file);
  const auto with_tail = [&](const Bytes& tail) {
    Bytes bytes = gz;
    bytes.insert(bytes.end(), tail.begin(), tail.end());
    write_file(file, bytes);
  };
  const std::string end = std::to_string(gz.size());
  with_tail({'j', 'u', 'n', 'k'});
  REQUIRE_IDX_ERROR(read_idx_images(file), file,
                    "bytes after the end of the gzip data: 4 from byte " + end + " on, which start no gzip member");
  with_tail(Bytes(100'000, 0));  // zero padding, more than one read ahead
  REQUIRE_IDX_ERROR(read_idx_images(file), file,
                    "bytes after the end of the gzip data: 100000 from byte " + end + " on");
  with_tail({0x1f});
  REQUIRE_IDX_ERROR(read_idx_images(file), file, "bytes after the end of the gzip data: 1 from byte " + end);

  // Concatenated members are one gzip file (as `cat a.gz b.gz` makes): read on, the IDX checks apply.
  const Bytes idx_bytes = images_file(3, 4, 5, pixels);
  write_gz(dir / "first.gz", Bytes(idx_bytes.begin(), idx_bytes.begin() + 30));
  write_gz(dir / "second.gz", Bytes(idx_bytes.begin() + 30, idx_bytes.end()));
  Bytes both = read_bytes(dir / "first.gz");
  const Bytes second = read_bytes(dir / "second.gz");
  both.insert(both.end(), second.begin(), second.end());
  write_file(file, both);
  CHECK(read_idx_images(file).pixels == pixels);
  both.insert(both.end(), gz.begin(), gz.end());  // a third member: the IDX payload is too long
  write_file(file, both);
  REQUIRE_IDX_ERROR(read_idx_images(file), file, "trailing bytes: header announces 3 images of 4x5 (60 bytes)");
}

TEST_CASE("idx: missing or unreadable file") {
  TempDir dir;
  REQUIRE_IDX_ERROR(read_idx_images(dir / "absent"), dir / "absent", ": not found");
  REQUIRE_IDX_ERROR(read_idx_labels(dir / "absent.gz"), dir / "absent.gz", ": not found");
  REQUIRE_IDX_ERROR(read_idx_images(dir.path()), dir.path(), "read error (Is a directory)");
}

namespace {

// A FashionMNIST-shaped split in `dir`: one rows x 28 image per label; returns the pixels.
Bytes write_split(const TempDir& dir, const std::string& prefix, bool gz, const Bytes& labels,
                  std::uint32_t rows = 28) {
  const Bytes pixels = noise(labels.size() * rows * 28, static_cast<std::uint32_t>(labels.size()));
  const auto write = gz ? write_gz : write_file<Bytes>;
  const std::string ext = gz ? ".gz" : "";
  write(dir / (prefix + "-images-idx3-ubyte" + ext),
        images_file(static_cast<std::uint32_t>(labels.size()), rows, 28, pixels));
  write(dir / (prefix + "-labels-idx1-ubyte" + ext), labels_file(labels));
  return pixels;
}

}  // namespace

TEST_CASE("idx: load_fashion_mnist finds plain and gzip files") {
  TempDir dir;
  const Bytes train_pixels = write_split(dir, "train", true, {3, 1, 4});
  const Bytes test_pixels = write_split(dir, "t10k", false, {9, 2});
  // With both present the plain file is read: this .gz would fail.
  write_file(dir / "t10k-images-idx3-ubyte.gz", Bytes{0});

  const auto train = load_fashion_mnist(dir.path(), Split::train);
  CHECK(train.size() == 3);
  CHECK(train.images.rows == 28);
  CHECK(train.images.cols == 28);
  CHECK(train.images.pixels == train_pixels);
  CHECK(train.labels == Bytes{3, 1, 4});

  const auto test = load_fashion_mnist(dir.path(), Split::test);
  CHECK(test.size() == 2);
  CHECK(test.images.pixels == test_pixels);
  CHECK(test.labels == Bytes{9, 2});
}

TEST_CASE("idx: load_fashion_mnist rejects missing files and inconsistent data") {
  TempDir dir;
  SECTION("missing files: both names are tried") {
    REQUIRE_IDX_ERROR(load_fashion_mnist(dir.path(), Split::test), dir / "t10k-images-idx3-ubyte",
                      (dir / "t10k-images-idx3-ubyte.gz").string());
    write_split(dir, "train", false, {1});
    fs::remove(dir / "train-labels-idx1-ubyte");
    REQUIRE_IDX_ERROR(load_fashion_mnist(dir.path(), Split::train), dir / "train-labels-idx1-ubyte",
                      ": not found, nor " + (dir / "train-labels-idx1-ubyte.gz").string());
  }
  SECTION("images not 28x28") {
    write_split(dir, "t10k", false, {1, 2}, 27);
    REQUIRE_IDX_ERROR(load_fashion_mnist(dir.path(), Split::test), dir / "t10k-images-idx3-ubyte",
                      "images are 27x28, FashionMNIST's are 28x28");
  }
  SECTION("image and label counts differ") {
    write_split(dir, "t10k", true, {1, 2, 3});
    write_gz(dir / "t10k-labels-idx1-ubyte.gz", labels_file({1, 2}));
    REQUIRE_IDX_ERROR(load_fashion_mnist(dir.path(), Split::test),
                      dir / "t10k-labels-idx1-ubyte.gz",
                      "2 labels for the 3 images of " +
                          (dir / "t10k-images-idx3-ubyte.gz").string());
  }
  SECTION("label 10") {
    write_split(dir, "train", false, {0, 9, 10, 1});
    REQUIRE_IDX_ERROR(load_fashion_mnist(dir.path(), Split::train), dir / "train-labels-idx1-ubyte",
                      "label 10 at index 2 is outside 0..9");
  }
}

// Debian's dataset-fashion-mnist is a declared dependency: its absence fails the test.
TEST_CASE("idx: the real FashionMNIST test split") {
  const fs::path dir = "/usr/share/datasets/fashion-mnist";
  if (!fs::is_directory(dir))
    FAIL(dir.string() + " is missing: install Debian's dataset-fashion-mnist package");
  const auto test = load_fashion_mnist(dir, Split::test);
  REQUIRE(test.size() == 10000);
  CHECK(test.images.rows == 28);
  CHECK(test.images.cols == 28);
  CHECK(test.labels.front() == 9);  // ankle boot

  std::vector<int> per_class(10);
  for (const std::uint8_t l : test.labels) ++per_class[l];
  CHECK(per_class == std::vector<int>(10, 1000));

  // Computed independently with /usr/bin/python3 (numpy 1.24):
  //   x = np.frombuffer(gzip.open(dir + '/t10k-images-idx3-ubyte.gz').read(), np.uint8, offset=16)
  //   x.astype(np.int64).sum() -> 573469082, x.mean() -> 73.14656658163265
  std::uint64_t sum = 0;
  for (const std::uint8_t p : test.images.pixels) sum += p;
  CHECK(sum == 573469082u);
  CHECK(static_cast<double>(sum) / static_cast<double>(test.images.pixels.size()) ==
        Approx(73.14656658163265).epsilon(1e-12));
}
