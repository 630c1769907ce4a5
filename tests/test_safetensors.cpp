// Tests of the safetensors reader and writer: round trip (F32 and I64, rank 0 included),
// hand-built byte-exact files (one laid out as safetensors.torch.save_file lays out a
// BatchNorm2d state_dict, one as scripts/linconv_torch.py's writer does), every refusal of the
// reader and the writer, and the atomic write.
//
// Cross-checked by hand with an independent parser (Debian has no python3-safetensors): a file
// this writer produced, parsed with /usr/bin/python3 as below, gave the same names, shapes,
// value bits, metadata and tiling of the data buffer; and a Python-built file (pretty-printed
// header, keys not in data order) read here gave the Python values bit for bit.
//   b = open(path, "rb").read(); n, = struct.unpack("<Q", b[:8]); header = json.loads(b[8:8 + n])
//   begin, end = header[name]["data_offsets"]
//   numpy.frombuffer(b[8 + n + begin:8 + n + end], "<f4").reshape(header[name]["shape"])
// I64 likewise, with struct alone (no numpy here): a file of the round-trip test below unpacked
// with struct.unpack("<%dq" % count, ...) gave the same integers (2^40 + 7, -5, INT64_MIN, ...);
// and a file built with json.dumps(header, separators=(",", ":")) + space padding + "<f4"/"<q"
// data, the layout of scripts/linconv_torch.py's write_safetensors (state_dict order, so the I64
// tensor comes last at an offset not a multiple of 8), was read here with the Python values.
#include <bit>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <limits>
#include <string>
#include <vector>

#include "linconv/error.hpp"
#include "linconv/safetensors.hpp"
#include "support/files.hpp"

namespace fs = std::filesystem;
using linconv::read_safetensors;
using linconv::TensorView;
using linconv::write_safetensors;
using linconv::testing::read_file;
using linconv::testing::TempDir;
using linconv::testing::write_file;

namespace {

// A file's bytes: the header length as 8 little-endian bytes, the header, the data.
std::string file_bytes(const std::string& header, const std::string& data = "") {
  std::string length;
  for (int i = 0; i < 8; ++i) length += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return length + header + data;
}

std::string f32_bytes(std::initializer_list<float> values) {  // the host is little-endian
  std::string bytes(values.size() * sizeof(float), '\0');
  std::memcpy(bytes.data(), values.begin(), bytes.size());
  return bytes;
}

// One header entry, `"name":{"dtype":...,"shape":...,"data_offsets":...}`.
std::string entry(const std::string& name, const std::string& shape, const std::string& offsets,
                  const std::string& dtype = "F32") {
  return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape +
         ",\"data_offsets\":" + offsets + "}";
}

std::string i64_bytes(std::initializer_list<std::int64_t> values) {
  std::string bytes(values.size() * sizeof(std::int64_t), '\0');
  std::memcpy(bytes.data(), values.begin(), bytes.size());
  return bytes;
}

std::vector<std::uint32_t> bits(std::span<const float> values) {
  std::vector<std::uint32_t> out;
  for (const float v : values) out.push_back(std::bit_cast<std::uint32_t>(v));
  return out;
}

// `file` is refused with a one-line linconv::Error naming it and containing every one of `parts`.
void require_refused(const fs::path& file, std::initializer_list<std::string> parts) {
  REQUIRE_THROWS_AS(read_safetensors(file), linconv::Error);
  REQUIRE_THROWS_WITH(read_safetensors(file),
                      Catch::Contains(file.filename().string()) && !Catch::Contains("\n"));
  for (const std::string& part : parts)
    REQUIRE_THROWS_WITH(read_safetensors(file), Catch::Contains(part));
}

}  // namespace

TEST_CASE("safetensors: round trip keeps names, shapes, bit-exact values and metadata") {
  TempDir dir;
  const fs::path file = dir.path() / "model.safetensors";
  std::vector<float> weight(2 * 1 * 3 * 3);
  for (std::size_t i = 0; i < weight.size(); ++i) weight[i] = std::sin(static_cast<float>(i)) / 3;
  weight[0] = -0.0f;
  weight[1] = std::numeric_limits<float>::denorm_min();
  weight[2] = std::numeric_limits<float>::max();
  weight[3] = std::numeric_limits<float>::lowest();
  const std::vector<float> alpha{0.5f};
  const std::vector<float> bias{0.1f, -0.2f, 0.3f};
  const std::vector<TensorView> views{{"conv1.weight", {2, 1, 3, 3}, weight},
                                      {"act1.alpha", {1}, alpha},
                                      {"empty", {0}, {}},
                                      {"empty.2d", {3, 0}, {}},
                                      {"fc1.bias", {3}, bias}};
  const std::map<std::string, std::string> metadata{
      {"architecture", "conv(1,8,5,1,2) alpha conv(8,16,5,1,2)"},
      {"config", R"({"lr": 0.001, "note": "quote \" and\nnewline"})"},
      {"unicode", "\u03b1\u03b2\u03b3 \u2713"},
      {"empty", ""}};
  write_safetensors(file, views, metadata);

  const linconv::SafetensorsFile read = read_safetensors(file);
  CHECK(read.metadata == metadata);
  REQUIRE(read.tensors.size() == views.size());
  for (std::size_t i = 0; i < views.size(); ++i) {
    INFO(views[i].name);
    CHECK(read.tensors[i].name == views[i].name);
    CHECK(read.tensors[i].shape == views[i].shape);
    CHECK(bits(read.tensors[i].values) == bits(views[i].values));
  }
  REQUIRE(read.find("act1.alpha") != nullptr);
  CHECK(read.find("act1.alpha")->values == alpha);
  CHECK(read.find("act2.alpha") == nullptr);

  const std::string bytes = read_file(file);
  std::uint64_t header_length = 0;
  std::memcpy(&header_length, bytes.data(), 8);
  CHECK(header_length % 8 == 0);
  CHECK(bytes.size() == 8 + header_length + (weight.size() + alpha.size() + bias.size()) * 4);
}

TEST_CASE("safetensors: no tensors and no metadata") {
  TempDir dir;
  const fs::path file = dir.path() / "empty.safetensors";
  write_safetensors(file, {}, {});
  CHECK(read_file(file) == file_bytes("{}      "));
  const linconv::SafetensorsFile read = read_safetensors(file);
  CHECK(read.tensors.empty());
  CHECK(read.metadata.empty());
}

TEST_CASE("safetensors: a hand-built file is read, and written byte for byte") {
  TempDir dir;
  // Tensor "w" = [1.0, -2.5], metadata {"k": "v"}. The 79-byte header is padded with one space
  // to 80 = 0x50 bytes; 1.0f is 0x3f800000 and -2.5f is 0xc0200000, stored little-endian.
  const std::string expected =
      std::string("\x50\0\0\0\0\0\0\0", 8) +
      R"({"__metadata__":{"k":"v"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}} )" +
      std::string("\x00\x00\x80\x3f\x00\x00\x20\xc0", 8);
  REQUIRE(expected.size() == 8 + 80 + 8);
  const fs::path hand = dir.path() / "hand.safetensors";
  write_file(hand, expected);

  const linconv::SafetensorsFile read = read_safetensors(hand);
  CHECK(read.metadata == std::map<std::string, std::string>{{"k", "v"}});
  REQUIRE(read.tensors.size() == 1);
  CHECK(read.tensors[0].name == "w");
  CHECK(read.tensors[0].shape == std::vector<std::int64_t>{2});
  CHECK(read.tensors[0].values == std::vector<float>{1.0f, -2.5f});

  const std::vector<float> values{1.0f, -2.5f};
  const fs::path written = dir.path() / "written.safetensors";
  write_safetensors(written, std::vector<TensorView>{{"w", {2}, values}}, {{"k", "v"}});
  CHECK(read_file(written) == expected);
}

TEST_CASE("safetensors: F32 and I64 tensors, rank 0 included, round trip exactly") {
  TempDir dir;
  const fs::path file = dir.path() / "bn.safetensors";
  const std::vector<float> weight{1.0f, -2.5f, 0.125f};
  const std::vector<float> scale{0.25f};
  const std::int64_t big = (std::int64_t{1} << 40) + 7;  // above 2^40: not exact in a float
  const std::vector<std::int64_t> tracked{big};
  const std::vector<std::int64_t> negative{-5};
  const std::vector<std::int64_t> extremes{std::numeric_limits<std::int64_t>::min(), -1, 0,
                                           std::numeric_limits<std::int64_t>::max()};
  const std::vector<TensorView> views{
      {"bn1.weight", {3}, weight},
      TensorView::of_integers("bn1.num_batches_tracked", {}, tracked),
      {"scale", {}, scale},  // rank-0 F32
      TensorView::of_integers("negative", {}, negative),
      TensorView::of_integers("extremes", {2, 2}, extremes),
      TensorView::of_integers("none", {0, 3}, {}),
      {"after", {1}, scale}};
  CHECK(views[1].dtype == linconv::DType::i64);
  CHECK(views[1].values.empty());
  CHECK(views[0].dtype == linconv::DType::f32);
  CHECK(views[0].integers.empty());
  write_safetensors(file, views, {{"architecture", "bn"}});

  const linconv::SafetensorsFile read = read_safetensors(file);
  CHECK(read.metadata == std::map<std::string, std::string>{{"architecture", "bn"}});
  REQUIRE(read.tensors.size() == views.size());
  for (std::size_t i = 0; i < views.size(); ++i) {
    INFO(views[i].name);
    const linconv::Tensor& t = read.tensors[i];
    CHECK(t.name == views[i].name);
    CHECK(t.shape == views[i].shape);
    CHECK(t.dtype == views[i].dtype);
    CHECK(bits(t.values) == bits(views[i].values));
    CHECK(t.integers == std::vector<std::int64_t>(views[i].integers.begin(), views[i].integers.end()));
  }
  const linconv::Tensor* count = read.find("bn1.num_batches_tracked");
  REQUIRE(count != nullptr);
  CHECK(count->dtype == linconv::DType::i64);
  CHECK(count->shape.empty());
  CHECK(count->values.empty());
  CHECK(count->integers == std::vector<std::int64_t>{1099511627783});
  REQUIRE(read.find("negative") != nullptr);
  CHECK(read.find("negative")->integers == std::vector<std::int64_t>{-5});
  REQUIRE(read.find("scale") != nullptr);
  CHECK(read.find("scale")->shape.empty());
  CHECK(read.find("scale")->values == std::vector<float>{0.25f});

  // The header names the dtypes as PyTorch's safetensors does; I64 elements take 8 bytes.
  const std::string bytes = read_file(file);
  CHECK_THAT(bytes, Catch::Contains(R"("bn1.num_batches_tracked":{"dtype":"I64","shape":[],)"
                                    R"("data_offsets":[12,20]})"));
  CHECK_THAT(bytes, Catch::Contains(R"("scale":{"dtype":"F32","shape":[],"data_offsets":[20,24]})"));
  std::uint64_t header_length = 0;
  std::memcpy(&header_length, bytes.data(), 8);
  CHECK(bytes.size() == 8 + header_length + (3 + 1 + 1) * 4 + (1 + 1 + 4) * 8);
}

TEST_CASE("safetensors: a BatchNorm2d file laid out as PyTorch's safetensors writes it") {
  TempDir dir;
  // safetensors.torch.save_file(BatchNorm2d(2).state_dict() after training) puts the I64 tensor
  // first (it sorts by alignment, then name). num_batches_tracked = 0x0123456789abcdef, stored
  // little-endian; weight [1.0, -2.5], bias [0.5, 0], running_mean [2, -1], running_var
  // [4, 0.25]. The 370-byte header is padded with 6 spaces to 376 = 0x178.
  const std::string header =
      R"({"__metadata__":{"format":"pt"},)"
      R"("bn1.num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[0,8]},)"
      R"("bn1.bias":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},)"
      R"("bn1.running_mean":{"dtype":"F32","shape":[2],"data_offsets":[16,24]},)"
      R"("bn1.running_var":{"dtype":"F32","shape":[2],"data_offsets":[24,32]},)"
      R"("bn1.weight":{"dtype":"F32","shape":[2],"data_offsets":[32,40]}})";
  REQUIRE(header.size() == 370);
  const std::string expected =
      std::string("\x78\x01\0\0\0\0\0\0", 8) + header + "      " +
      std::string("\xef\xcd\xab\x89\x67\x45\x23\x01", 8) +                  // num_batches_tracked
      std::string("\x00\x00\x00\x3f\x00\x00\x00\x00", 8) +                  // bias
      std::string("\x00\x00\x00\x40\x00\x00\x80\xbf", 8) +                  // running_mean
      std::string("\x00\x00\x80\x40\x00\x00\x80\x3e", 8) +                  // running_var
      std::string("\x00\x00\x80\x3f\x00\x00\x20\xc0", 8);                   // weight
  REQUIRE(expected.size() == 8 + 376 + 40);
  const fs::path hand = dir.path() / "bn.safetensors";
  write_file(hand, expected);

  const linconv::SafetensorsFile read = read_safetensors(hand);
  CHECK(read.metadata == std::map<std::string, std::string>{{"format", "pt"}});
  REQUIRE(read.tensors.size() == 5);
  const linconv::Tensor& count = read.tensors[0];
  CHECK(count.name == "bn1.num_batches_tracked");
  CHECK(count.dtype == linconv::DType::i64);
  CHECK(count.shape.empty());
  CHECK(count.integers == std::vector<std::int64_t>{0x0123456789abcdef});
  CHECK(count.values.empty());
  const auto f32 = [&](const char* name, std::vector<float> values) {
    INFO(name);
    const linconv::Tensor* t = read.find(name);
    REQUIRE(t != nullptr);
    CHECK(t->dtype == linconv::DType::f32);
    CHECK(t->shape == std::vector<std::int64_t>{2});
    CHECK(t->values == values);
    CHECK(t->integers.empty());
  };
  f32("bn1.weight", {1.0f, -2.5f});
  f32("bn1.bias", {0.5f, 0.0f});
  f32("bn1.running_mean", {2.0f, -1.0f});
  f32("bn1.running_var", {4.0f, 0.25f});

  // The writer, given the same order, writes the same bytes.
  const std::vector<std::int64_t> tracked{0x0123456789abcdef};
  const std::vector<float> weight{1.0f, -2.5f}, bias{0.5f, 0.0f}, mean{2.0f, -1.0f},
      var{4.0f, 0.25f};
  const fs::path written = dir.path() / "written.safetensors";
  write_safetensors(written,
                    std::vector<TensorView>{
                        TensorView::of_integers("bn1.num_batches_tracked", {}, tracked),
                        {"bn1.bias", {2}, bias},
                        {"bn1.running_mean", {2}, mean},
                        {"bn1.running_var", {2}, var},
                        {"bn1.weight", {2}, weight}},
                    {{"format", "pt"}});
  CHECK(read_file(written) == expected);
}

TEST_CASE("safetensors: an I64 tensor after F32 ones, as scripts/linconv_torch.py lays it out") {
  // The Python writer keeps state_dict order (weight, bias, running_mean, running_var,
  // num_batches_tracked): with an odd count of F32 elements before it, the I64 tensor begins at
  // an offset that is not a multiple of 8, which the format allows.
  TempDir dir;
  const fs::path file = dir.path() / "py.safetensors";
  std::string header = "{" + entry("bn1.weight", "[3]", "[0,12]") + "," +
                       entry("bn1.num_batches_tracked", "[]", "[12,20]", "I64") + "," +
                       entry("steps", "[2]", "[20,36]", "I64") + "}";
  header.append((8 - header.size() % 8) % 8, ' ');
  write_file(file, file_bytes(header, f32_bytes({0.5f, -1.0f, 3.0f}) +
                                          i64_bytes({(std::int64_t{1} << 41) + 3, -7, 42})));
  const linconv::SafetensorsFile read = read_safetensors(file);
  REQUIRE(read.tensors.size() == 3);
  CHECK(read.tensors[0].values == std::vector<float>{0.5f, -1.0f, 3.0f});
  CHECK(read.tensors[1].name == "bn1.num_batches_tracked");
  CHECK(read.tensors[1].dtype == linconv::DType::i64);
  CHECK(read.tensors[1].integers == std::vector<std::int64_t>{2199023255555});
  CHECK(read.tensors[2].shape == std::vector<std::int64_t>{2});
  CHECK(read.tensors[2].integers == std::vector<std::int64_t>{-7, 42});
}

TEST_CASE("safetensors: tensors come back in data order, whatever the header order") {
  TempDir dir;
  const fs::path file = dir.path() / "order.safetensors";
  write_file(file, file_bytes("{" + entry("a", "[1]", "[4,8]") + "," + entry("z", "[1]", "[0,4]") +
                                  "," + entry("m", "[0]", "[4,4]") + "}",
                              f32_bytes({1, 2})));
  const linconv::SafetensorsFile read = read_safetensors(file);
  REQUIRE(read.tensors.size() == 3);
  CHECK(read.tensors[0].name == "z");
  CHECK(read.tensors[1].name == "m");
  CHECK(read.tensors[2].name == "a");
  CHECK(read.tensors[2].values == std::vector<float>{2});
}

TEST_CASE("safetensors: read refuses malformed files") {
  TempDir dir;
  const fs::path file = dir.path() / "bad.safetensors";
  const auto refused = [&](const std::string& bytes, std::initializer_list<std::string> parts) {
    write_file(file, bytes);
    require_refused(file, parts);
  };
  const std::string one = entry("w", "[1]", "[0,4]");

  SECTION("missing file") {
    require_refused(dir.path() / "absent.safetensors", {"cannot open", "No such file"});
  }
  SECTION("a directory") {
    fs::create_directory(file);
    require_refused(file, {"cannot read", "Is a directory"});
  }
  SECTION("shorter than 8 bytes") { refused("\x01\x02\x03", {"3 bytes, shorter than the 8-byte"}); }
  SECTION("header length past the end") {
    refused(file_bytes("{}").replace(0, 1, "\x64"), {"header length 100 exceeds the 2 bytes"});
  }
  SECTION("absurd header length") {
    refused(file_bytes("{}").replace(5, 1, "\x01"), {"header length 1099511627778 is absurd"});
  }
  SECTION("header not JSON") { refused(file_bytes("{\"w\":"), {"header is not valid JSON"}); }
  SECTION("header not an object") { refused(file_bytes("[]"), {"not a JSON object, found array"}); }
  SECTION("entry not an object") {
    refused(file_bytes(R"({"w":[1]})"), {"tensor \"w\"", "found array"});
  }
  SECTION("entry missing a key") {
    refused(file_bytes(R"({"w":{"dtype":"F32","shape":[1]}})", f32_bytes({1})),
            {"tensor \"w\": missing \"data_offsets\""});
  }
  SECTION("dtype other than F32 and I64") {
    refused(file_bytes("{" + entry("w", "[1]", "[0,2]", "F16") + "}", "ab"),
            {"tensor \"w\"", "expected dtype \"F32\" or \"I64\", found \"F16\""});
    refused(file_bytes("{" + entry("w", "[1]", "[0,4]", "I32") + "}", "abcd"),
            {"tensor \"w\"", "found \"I32\""});
    refused(file_bytes("{" + entry("w", "[1]", "[0,8]", "i64") + "}", i64_bytes({1})),
            {"tensor \"w\"", "found \"i64\""});
    refused(file_bytes(R"({"w":{"dtype":64,"shape":[1],"data_offsets":[0,8]}})", i64_bytes({1})),
            {"tensor \"w\"", "found 64"});
  }
  SECTION("shape with a negative dimension") {
    refused(file_bytes("{" + entry("w", "[2,-1]", "[0,4]") + "}", f32_bytes({1})),
            {"tensor \"w\"", "non-negative integers, found [2,-1]"});
  }
  SECTION("shape with a fractional dimension") {
    refused(file_bytes("{" + entry("w", "[1.5]", "[0,4]") + "}", f32_bytes({1})),
            {"tensor \"w\"", "found [1.5]"});
  }
  SECTION("shape not an array") {
    refused(file_bytes("{" + entry("w", "1", "[0,4]") + "}", f32_bytes({1})),
            {"tensor \"w\"", "expected shape as an array"});
  }
  SECTION("shape with too many elements") {
    refused(file_bytes("{" + entry("w", "[4611686018427387904,4]", "[0,4]") + "}", f32_bytes({1})),
            {"tensor \"w\"", "too many elements"});
  }
  SECTION("data_offsets with begin > end") {
    refused(file_bytes("{" + entry("w", "[1]", "[4,0]") + "}", f32_bytes({1})),
            {"tensor \"w\"", "data_offsets", "found [4,0]"});
  }
  SECTION("data_offsets not two integers") {
    refused(file_bytes("{" + entry("w", "[1]", "[0,4,4]") + "}", f32_bytes({1})),
            {"tensor \"w\"", "found [0,4,4]"});
    refused(file_bytes("{" + entry("w", "[1]", "[-4,0]") + "}", f32_bytes({1})),
            {"tensor \"w\"", "found [-4,0]"});
  }
  SECTION("byte size not product(shape) * 4") {
    refused(file_bytes("{" + entry("w", "[2]", "[0,4]") + "}", f32_bytes({1})),
            {"tensor \"w\": expected 8 bytes for F32 shape [2], found data_offsets [0,4] spanning 4"});
  }
  SECTION("byte size not product(shape) * 8 for I64") {
    refused(file_bytes("{" + entry("n", "[]", "[0,4]", "I64") + "}", f32_bytes({1})),
            {"tensor \"n\": expected 8 bytes for I64 shape [], found data_offsets [0,4] spanning 4"});
    refused(file_bytes("{" + entry("n", "[2]", "[0,8]", "I64") + "}", i64_bytes({1})),
            {"tensor \"n\": expected 16 bytes for I64 shape [2], found data_offsets [0,8]"});
    refused(file_bytes("{" + entry("n", "[1]", "[0,16]", "I64") + "}", i64_bytes({1, 2})),
            {"tensor \"n\": expected 8 bytes for I64 shape [1]"});
  }
  SECTION("rank 0 holds one element") {
    refused(file_bytes("{" + entry("s", "[]", "[0,0]") + "}"),
            {"tensor \"s\": expected 4 bytes for F32 shape [], found data_offsets [0,0]"});
  }
  SECTION("I64 shape whose byte size overflows") {
    // 2^61 elements fit in 64 bits as F32 bytes (2^63) but not as I64 bytes (2^64).
    refused(file_bytes("{" + entry("n", "[2305843009213693952]", "[0,8]", "I64") + "}",
                       i64_bytes({1})),
            {"tensor \"n\"", "too many elements"});
  }
  SECTION("offsets past the data buffer") {
    refused(file_bytes("{" + entry("w", "[1]", "[4,8]") + "}", f32_bytes({1})),
            {"tensor \"w\"", "extend past the 4-byte data buffer"});
  }
  SECTION("overlapping tensors") {
    refused(file_bytes("{" + entry("a", "[2]", "[0,8]") + "," + entry("b", "[2]", "[4,12]") + "}",
                       f32_bytes({1, 2, 3})),
            {"tensor \"b\" begins at byte 4, inside tensor \"a\"", "overlap"});
  }
  SECTION("a gap between tensors") {
    refused(file_bytes("{" + entry("a", "[1]", "[0,4]") + "," + entry("b", "[1]", "[8,12]") + "}",
                       f32_bytes({1, 2, 3})),
            {"bytes [4, 8) of the data buffer belong to no tensor", "gap before tensor \"b\""});
  }
  SECTION("unused bytes after the last tensor") {
    refused(file_bytes("{" + one + "}", f32_bytes({1, 2})),
            {"bytes [4, 8) of the data buffer belong to no tensor"});
  }
  SECTION("duplicate tensor names") {
    refused(file_bytes("{" + one + "," + one + "}", f32_bytes({1})), {"key \"w\" twice"});
  }
  SECTION("duplicate key inside an entry") {
    refused(file_bytes(R"({"w":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                       f32_bytes({1})),
            {"key \"dtype\" twice"});
  }
  SECTION("__metadata__ not an object") {
    refused(file_bytes(R"({"__metadata__":["a"]})"), {"\"__metadata__\"", "found array"});
  }
  SECTION("__metadata__ value not a string") {
    refused(file_bytes(R"({"__metadata__":{"epochs":3}})"),
            {"\"__metadata__\" entry \"epochs\" to be a string, found 3"});
  }
  SECTION("a NaN") {
    std::vector<float> values(20, 1.0f);
    values[17] = std::numeric_limits<float>::quiet_NaN();
    std::string data(values.size() * 4, '\0');
    std::memcpy(data.data(), values.data(), data.size());
    refused(file_bytes("{" + entry("conv1.weight", "[4,5]", "[0,80]") + "}", data),
            {"tensor \"conv1.weight\" holds a NaN at index 17"});
  }
  SECTION("an infinity") {
    refused(file_bytes("{" + entry("fc1.bias", "[2]", "[0,8]") + "}",
                       f32_bytes({-std::numeric_limits<float>::infinity(), 0})),
            {"tensor \"fc1.bias\" holds an infinity at index 0"});
  }
}

TEST_CASE("safetensors: write refuses what the reader would refuse, leaving the file untouched") {
  TempDir dir;
  const fs::path file = dir.path() / "model.safetensors";
  write_file(file, std::string("old"));
  const std::vector<float> three{1, 2, 3};
  const std::vector<float> nan{0, std::numeric_limits<float>::quiet_NaN()};
  const auto refused = [&](std::vector<TensorView> views, const std::string& part) {
    REQUIRE_THROWS_AS(write_safetensors(file, views, {}), linconv::Error);
    REQUIRE_THROWS_WITH(write_safetensors(file, views, {}), Catch::Contains(part));
    CHECK(read_file(file) == "old");
    CHECK(dir.entries() == std::vector<std::string>{"model.safetensors"});
  };
  refused({{"w", {2, 2}, three}}, "tensor \"w\": shape [2,2] does not fit its 3 values");
  refused({{"w", {-3}, three}}, "tensor \"w\": shape [-3]");
  refused({{"w", {3}, three}, {"w", {3}, three}},
          "tensor \"w\": name is reserved or already used");
  refused({{"__metadata__", {3}, three}}, "tensor \"__metadata__\": name is reserved");
  refused({{"g", {2}, nan}}, "tensor \"g\" holds a NaN at index 1");
  refused({{"bad\xff", {3}, three}}, "valid UTF-8");
  const std::vector<std::int64_t> ints{1, 2, 3};
  refused({TensorView::of_integers("n", {}, ints)},
          "tensor \"n\": shape [] does not fit its 3 integers");
  refused({TensorView::of_integers("n", {2}, {})}, "tensor \"n\": shape [2] does not fit its 0");
  refused({{"n", {3}, three, linconv::DType::i64, ints}},
          "tensor \"n\": dtype I64 but 3 float values given");
  refused({{"w", {3}, three, linconv::DType::f32, ints}},
          "tensor \"w\": dtype F32 but 3 integers given");
  refused({{"w", {}, {}}}, "tensor \"w\": shape [] does not fit its 0 values");
}

TEST_CASE("safetensors: write into a missing directory throws and leaves nothing") {
  TempDir dir;
  const std::vector<float> values{1};
  REQUIRE_THROWS_WITH(
      write_safetensors(dir.path() / "missing" / "model.safetensors",
                        std::vector<TensorView>{{"w", {1}, values}}, {}),
      Catch::Contains("model.safetensors") && Catch::Contains("No such file or directory"));
  CHECK(dir.entries().empty());
}

TEST_CASE("safetensors: write replaces an existing file whole, no temporary left behind") {
  TempDir dir;
  const fs::path file = dir.path() / "model.safetensors";
  const std::vector<float> big(1000, 0.25f);
  const std::vector<float> small{7};
  write_safetensors(file, std::vector<TensorView>{{"big", {1000}, big}}, {{"run", "first"}});
  write_safetensors(file, std::vector<TensorView>{{"small", {1}, small}}, {});

  const linconv::SafetensorsFile read = read_safetensors(file);
  CHECK(read.metadata.empty());
  REQUIRE(read.tensors.size() == 1);
  CHECK(read.tensors[0].name == "small");
  CHECK(read.tensors[0].values == small);
  CHECK(dir.entries() == std::vector<std::string>{"model.safetensors"});
}

TEST_CASE("safetensors: a failed rename removes the temporary") {
  TempDir dir;
  const fs::path target = dir.path() / "model.safetensors";  // a directory: rename(2) refuses
  fs::create_directory(target);
  write_file(target / "keep", std::string("kept"));
  const std::vector<float> values{1};
  REQUIRE_THROWS_WITH(write_safetensors(target, std::vector<TensorView>{{"w", {1}, values}}, {}),
                      Catch::Contains("cannot rename"));
  CHECK(dir.entries() == std::vector<std::string>{"model.safetensors"});
  CHECK(read_file(target / "keep") == "kept");
}

TEST_CASE("safetensors: read refuses numbers beyond double and deep nesting (found by fuzzing)") {
  TempDir dir;
  const fs::path file = dir.path() / "m.safetensors";
  write_file(file, file_bytes(R"({"a":1e999})"));
  require_refused(file, {"header is not valid JSON", "1e999"});
  // 100,000 nested arrays: printing such a value in a message would overflow the stack.
  write_file(file, file_bytes("{\"a\":{\"shape\":" + std::string(100000, '[') + std::string(100000, ']') + "}}"));
  require_refused(file, {"nests deeper than 8 levels"});
}
