#pragma once
// Files for tests: a temporary directory removed at the end, whole-file reads and writes, and
// builders of IDX files (plain and gzip) for the reader and command-line tests.
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <string>
#include <vector>

namespace linconv::testing {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

// A fresh directory under the system temporary directory, removed with its contents at the end.
class TempDir {
 public:
  TempDir() {
    static int serial = 0;
    path_ = fs::temp_directory_path() /
            ("linconv_test_" + std::to_string(::getpid()) + "_" + std::to_string(serial++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }
  // The names of the directory's entries, sorted.
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(path_)) names.push_back(entry.path().filename());
    std::ranges::sort(names);
    return names;
  }

 private:
  fs::path path_;
};

template <class Container>
void write_file(const fs::path& file, const Container& bytes) {
  std::ofstream out(file, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

inline std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_gz(const fs::path& file, const Bytes& bytes) {
  gzFile out = gzopen(file.c_str(), "wb");
  REQUIRE(out != nullptr);
  REQUIRE(gzwrite(out, bytes.data(), static_cast<unsigned>(bytes.size())) == static_cast<int>(bytes.size()));
  REQUIRE(gzclose(out) == Z_OK);
}

// An IDX file: the big-endian magic number and dimension sizes, then the payload.
inline Bytes idx(std::uint32_t magic, std::initializer_list<std::uint32_t> sizes, const Bytes& payload) {
  Bytes b;
  const auto put = [&](std::uint32_t w) {
    for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<std::uint8_t>(w >> shift));
  };
  put(magic);
  for (const std::uint32_t s : sizes) put(s);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}
inline Bytes images_file(std::uint32_t count, std::uint32_t rows, std::uint32_t cols, const Bytes& pixels) {
  return idx(0x803, {count, rows, cols}, pixels);
}
inline Bytes labels_file(const Bytes& labels) {
  return idx(0x801, {static_cast<std::uint32_t>(labels.size())}, labels);
}

}  // namespace linconv::testing
