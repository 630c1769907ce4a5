// IDX reading through zlib's gz* interface, which reads gzip and plain files alike. A file is
// read header first, then exactly the payload the header announces, then on to the end: surplus
// bytes are an error, and only a read to the end lets zlib verify the gzip CRC and length.
#include "linconv/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <limits>
#include <string>
#include <system_error>
#include <utility>

#include "linconv/error.hpp"

namespace linconv {
namespace {

namespace fs = std::filesystem;

// Largest payload accepted: keeps every dimension and byte count within int.
constexpr std::uint64_t max_payload = std::numeric_limits<int>::max();

std::string hex32(std::uint32_t x) {
  char buf[11];
  std::snprintf(buf, sizeof buf, "0x%08x", static_cast<unsigned>(x));
  return buf;
}

// An open file that counts the bytes it delivers and throws linconv::Error naming its path.
class GzFile {
 public:
  explicit GzFile(fs::path path) : path_(std::move(path)), file_(gzopen(path_.c_str(), "rb")) {
    if (file_ == nullptr) {
      const int e = errno;  // gzopen documents errno as set when the open itself failed
      fail(e == ENOENT ? "not found" : "cannot open: " + std::generic_category().message(e));
    }
    gzbuffer(file_, 1 << 16);
  }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;
  ~GzFile() { gzclose(file_); }

  [[noreturn]] void fail(const std::string& what) const {
    throw Error(path_.string() + ": " + what);
  }

  // Reads up to n bytes (n <= 1 MiB); fewer only at the end of the data.
  std::size_t read(void* buf, std::size_t n) {
    int got = gzread(file_, buf, static_cast<unsigned>(n));
    if (got == 0 && error() == Z_OK) {
      // zlib (seen with 1.2.13) reports a clean end for a gzip stream cut inside its trailer
      // when the previous read ended exactly at the end of the data; one more read after
      // clearing the end flag reports the truncation.
      gzclearerr(file_);
      got = gzread(file_, buf, static_cast<unsigned>(n));
    }
    if (const int err = error(); got < 0 || err != Z_OK) {
      std::string msg = gzerror(file_, nullptr);
      // zlib prefixes its messages with the path, which fail() adds anyway.
      if (const std::string prefix = path_.string() + ": "; msg.starts_with(prefix))
        msg.erase(0, prefix.size());
      const char* what = err == Z_BUF_ERROR ? "truncated gzip data"
                         : err == Z_ERRNO   ? "read error"
                                            : "corrupt gzip data";
      fail(std::string(what) + " (" + msg + ")");
    }
    pos_ += static_cast<std::size_t>(got);
    return static_cast<std::size_t>(got);
  }

  // The header: the magic number, then one big-endian 32-bit size per dimension. `kind`
  // describes the expected file ("an IDX image file"); `dims` is its number of dimensions.
  std::vector<std::uint32_t> header(int dims, const char* kind) {
    const std::uint32_t magic = word("magic number");
    const std::uint32_t expected = 0x800u + static_cast<std::uint32_t>(dims);
    if (magic != expected) {
      std::string what = "wrong magic number " + hex32(magic) + " (expected " + hex32(expected) +
                         ", " + kind + ")";
      if ((magic & ~0xffu) == 0x800u)  // unsigned-byte IDX, but another number of dimensions
        what += ": number of dimensions " + std::to_string(magic & 0xffu) + " instead of " +
                std::to_string(dims);
      fail(what);
    }
    std::vector<std::uint32_t> sizes(static_cast<std::size_t>(dims));
    for (auto& s : sizes) s = word("dimension sizes");
    return sizes;
  }

  // Reads the `bytes` of payload the header announced (described by `announced`), then to the end.
  std::vector<std::uint8_t> payload(std::uint64_t bytes, const std::string& announced) {
    std::vector<std::uint8_t> data;
    while (data.size() < bytes) {  // grows as data arrives: a lying header allocates little
      const std::size_t have = data.size();
      data.resize(std::min<std::uint64_t>(bytes, have + chunk));
      const std::size_t got = read(data.data() + have, data.size() - have);
      if (have + got < data.size())
        fail("truncated: header announces " + announced + " but the file holds " +
             std::to_string(have + got));
    }
    std::uint64_t extra = 0;
    std::array<std::uint8_t, 4096> rest;
    while (const std::size_t got = read(rest.data(), rest.size())) extra += got;
    if (extra > 0)
      fail("trailing bytes: header announces " + announced + " but the file holds " +
           std::to_string(bytes + extra));
    return data;
  }

 private:
  static constexpr std::size_t chunk = std::size_t{1} << 20;

  int error() const {
    int err = Z_OK;
    gzerror(file_, &err);
    return err;
  }

  std::uint32_t word(const char* what) {
    std::array<std::uint8_t, 4> b{};
    if (read(b.data(), b.size()) < b.size())
      fail("too short for an IDX header: ends after " + std::to_string(pos_) + " bytes, in the " +
           what);
    return std::uint32_t{b[0]} << 24 | std::uint32_t{b[1]} << 16 | std::uint32_t{b[2]} << 8 | b[3];
  }

  fs::path path_;
  gzFile file_;
  std::uint64_t pos_ = 0;
};

// The payload size of `sizes`, refusing zero and implausibly large sizes (without overflow).
std::uint64_t payload_bytes(const GzFile& in, const std::vector<std::uint32_t>& sizes,
                            const std::string& announced) {
  std::uint64_t bytes = 1;
  for (const std::uint32_t s : sizes) {
    if (s == 0) in.fail("zero size: header announces " + announced);
    if (s > max_payload / bytes)
      in.fail("implausible size: header announces " + announced + ", more than the limit of " +
              std::to_string(max_payload) + " bytes");
    bytes *= s;
  }
  return bytes;
}

}  // namespace

IdxImages read_idx_images(const fs::path& file) {
  GzFile in(file);
  const auto sizes = in.header(3, "an IDX image file");
  std::string announced = std::to_string(sizes[0]) + " images of " + std::to_string(sizes[1]) +
                          "x" + std::to_string(sizes[2]);
  const std::uint64_t bytes = payload_bytes(in, sizes, announced);
  announced += " (" + std::to_string(bytes) + " bytes)";
  return {static_cast<int>(sizes[0]), static_cast<int>(sizes[1]), static_cast<int>(sizes[2]),
          in.payload(bytes, announced)};
}

std::vector<std::uint8_t> read_idx_labels(const fs::path& file) {
  GzFile in(file);
  const auto sizes = in.header(1, "an IDX label file");
  std::string announced = std::to_string(sizes[0]) + " labels";
  const std::uint64_t bytes = payload_bytes(in, sizes, announced);
  return in.payload(bytes, announced + " (" + std::to_string(bytes) + " bytes)");
}

Dataset load_fashion_mnist(const fs::path& dir, Split split) {
  const std::string prefix = split == Split::train ? "train" : "t10k";
  // The plain file if it exists, else the .gz one.
  const auto find = [&](const std::string& name) {
    const fs::path plain = dir / (prefix + name);
    const fs::path gz = dir / (prefix + name + ".gz");
    std::error_code ec;
    if (fs::exists(plain, ec)) return plain;
    if (fs::exists(gz, ec)) return gz;
    throw Error(plain.string() + ": not found, nor " + gz.string());
  };
  const fs::path images_file = find("-images-idx3-ubyte");
  const fs::path labels_file = find("-labels-idx1-ubyte");

  Dataset d{read_idx_images(images_file), read_idx_labels(labels_file)};
  if (d.images.rows != 28 || d.images.cols != 28)
    throw Error(images_file.string() + ": images are " + std::to_string(d.images.rows) + "x" +
                std::to_string(d.images.cols) + ", FashionMNIST's are 28x28");
  if (d.labels.size() != static_cast<std::size_t>(d.images.count))
    throw Error(labels_file.string() + ": " + std::to_string(d.labels.size()) + " labels for the " +
                std::to_string(d.images.count) + " images of " + images_file.string());
  if (const auto bad = std::ranges::find_if(d.labels, [](std::uint8_t l) { return l > 9; });
      bad != d.labels.end())
    throw Error(labels_file.string() + ": label " + std::to_string(*bad) + " at index " +
                std::to_string(bad - d.labels.begin()) + " is outside 0..9");
  return d;
}

}  // namespace linconv
