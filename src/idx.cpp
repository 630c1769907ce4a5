// IDX reading, of gzip and plain files alike (a gzip file is told by its first two bytes, as
// zlib's gzread tells it). A file is read header first, then exactly the payload the header
// announces, then on to the end: surplus bytes are an error, and only a read to the end lets
// zlib verify the gzip CRC and length. Gzip data goes through zlib's inflate one member at a
// time rather than through gzread, which silently drops whatever follows the last member: here
// a next member is read on (as gzip allows concatenated members), and any other bytes after the
// end of the gzip data are refused.
#include "linconv/idx.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <new>
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

// An open file that delivers its bytes (decompressed, for gzip), counts them, and throws
// linconv::Error naming its path.
class GzFile {
 public:
  explicit GzFile(fs::path path) : path_(std::move(path)), fd_{open(path_.c_str(), O_RDONLY | O_CLOEXEC)} {
    if (fd_.fd < 0) {
      const int e = errno;
      fail(e == ENOENT ? "not found" : "cannot open: " + std::generic_category().message(e));
    }
    while (available_ < 2 && fill()) {
    }
    const bool gzip = available_ >= 2 && next_[0] == 0x1f && next_[1] == 0x8b;
    if (gzip && inflateInit2(&stream_, 16 + MAX_WBITS) != Z_OK) throw std::bad_alloc();  // 16: gzip only
    gzip_ = gzip;
  }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;
  ~GzFile() {
    if (gzip_) inflateEnd(&stream_);
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw Error(path_.string() + ": " + what);
  }

  // Reads up to n bytes (n <= 1 MiB); fewer only at the end of the data.
  std::size_t read(void* buf, std::size_t n) {
    const std::size_t got = gzip_ ? inflate_into(static_cast<Bytef*>(buf), n) : copy_into(static_cast<std::uint8_t*>(buf), n);
    pos_ += got;
    return got;
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

  // Moves the unread bytes to the front of the input buffer and reads more behind them; false
  // at the end of the file.
  bool fill() {
    std::memmove(input_.data(), next_, available_);
    next_ = input_.data();
    for (;;) {
      const ssize_t got = ::read(fd_.fd, input_.data() + available_, input_.size() - available_);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) fail("read error (" + std::generic_category().message(errno) + ")");
      available_ += std::size_t(got);
      offset_ += std::uint64_t(got);
      return got > 0;
    }
  }

  std::size_t copy_into(std::uint8_t* out, std::size_t n) {
    std::size_t got = 0;
    while (got < n && (available_ > 0 || fill())) {
      const std::size_t take = std::min(n - got, available_);
      std::memcpy(out + got, next_, take);
      got += take;
      next_ += take;
      available_ -= take;
    }
    return got;
  }

  std::size_t inflate_into(Bytef* out, std::size_t n) {
    stream_.next_out = out;
    stream_.avail_out = static_cast<uInt>(n);
    while (stream_.avail_out > 0) {
      if (available_ < 2) fill();  // two bytes: enough to tell whether another member starts
      if (member_ended_) {
        if (available_ == 0) break;  // the end of the file: the end of the data
        if (available_ < 2 || next_[0] != 0x1f || next_[1] != 0x8b) refuse_trailing_bytes();
        inflateReset(&stream_);
        member_ended_ = false;
      }
      if (available_ == 0) fail("truncated gzip data (unexpected end of file)");
      stream_.next_in = next_;
      stream_.avail_in = static_cast<uInt>(available_);
      const int status = inflate(&stream_, Z_NO_FLUSH);
      next_ = stream_.next_in;
      available_ = stream_.avail_in;
      if (status == Z_STREAM_END) {
        member_ended_ = true;
      } else if (status == Z_BUF_ERROR) {  // no progress without more input
        if (!fill()) fail("truncated gzip data (unexpected end of file)");
      } else if (status == Z_MEM_ERROR) {
        throw std::bad_alloc();
      } else if (status != Z_OK) {
        fail("corrupt gzip data (" + std::string(stream_.msg ? stream_.msg : "error " + std::to_string(status)) + ")");
      }
    }
    return n - stream_.avail_out;
  }

  // Bytes after the end of the last gzip member, which are not another member.
  [[noreturn]] void refuse_trailing_bytes() {
    const std::uint64_t end = offset_ - available_;
    std::uint64_t extra = available_;
    for (available_ = 0; fill(); available_ = 0) extra += available_;
    fail("bytes after the end of the gzip data: " + std::to_string(extra) + " from byte " + std::to_string(end) +
         " on, which start no gzip member");
  }

  std::uint32_t word(const char* what) {
    std::array<std::uint8_t, 4> b{};
    if (read(b.data(), b.size()) < b.size())
      fail("too short for an IDX header: ends after " + std::to_string(pos_) + " bytes, in the " +
           what);
    return std::uint32_t{b[0]} << 24 | std::uint32_t{b[1]} << 16 | std::uint32_t{b[2]} << 8 | b[3];
  }

  struct Descriptor {
    int fd;
    ~Descriptor() {
      if (fd >= 0) close(fd);
    }
  };

  fs::path path_;
  Descriptor fd_;
  std::vector<Bytef> input_ = std::vector<Bytef>(1 << 16);  // read ahead: [next_, next_ + available_) unread
  Bytef* next_ = input_.data();
  std::size_t available_ = 0;
  std::uint64_t offset_ = 0;  // bytes read from the file
  bool gzip_ = false;
  z_stream stream_{};
  bool member_ended_ = false;
  std::uint64_t pos_ = 0;  // bytes delivered
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
