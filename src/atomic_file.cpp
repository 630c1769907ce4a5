#include "linconv/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>
#include <system_error>
#include <utility>

#include "linconv/error.hpp"

namespace linconv {
namespace {

std::string errno_text() { return std::generic_category().message(errno); }

[[noreturn]] void fail(const std::filesystem::path& file, const std::string& what) {
  throw Error(file.string() + ": " + what);
}

bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

void write_file_atomically(const std::filesystem::path& file,
                           const std::vector<std::span<const std::byte>>& parts) {
  StagedFile(file, parts).commit();
}

StagedFile::StagedFile(const std::filesystem::path& file, const std::vector<std::span<const std::byte>>& parts)
    : file_(file) {
  static std::atomic<unsigned> serial{0};
  const std::filesystem::path temporary =
      file.string() + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(serial++);
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) fail(file, "cannot create " + temporary.string() + ": " + errno_text());
  try {
    const auto check = [&](bool ok) {
      if (!ok) fail(file, "cannot write " + temporary.string() + ": " + errno_text());
    };
    for (const std::span<const std::byte> part : parts)
      check(write_all(fd, reinterpret_cast<const char*>(part.data()), part.size()));
    check(::fsync(fd) == 0);
    check(::close(std::exchange(fd, -1)) == 0);
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlink(temporary.c_str());
    throw;
  }
  temporary_ = temporary;
}

StagedFile::StagedFile(StagedFile&& other) noexcept
    : file_(std::move(other.file_)), temporary_(std::exchange(other.temporary_, {})) {}

StagedFile::~StagedFile() {
  if (!temporary_.empty()) ::unlink(temporary_.c_str());
}

void StagedFile::commit() {
  if (::rename(temporary_.c_str(), file_.c_str()) != 0)
    fail(file_, "cannot rename " + temporary_.string() + " to it: " + errno_text());
  temporary_.clear();
  const std::filesystem::path directory = file_.has_parent_path() ? file_.parent_path() : ".";
  const int dir_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0 || ::fsync(dir_fd) != 0) {
    const std::string reason = errno_text();
    if (dir_fd >= 0) ::close(dir_fd);
    fail(file_, "written, but cannot sync its directory: " + reason);
  }
  ::close(dir_fd);
}

AppendFile::AppendFile(const std::filesystem::path& file, bool truncate) : file_(file) {
  fd_ = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0), 0666);
  if (fd_ < 0) fail(file, "cannot open to write: " + errno_text());
}

AppendFile::AppendFile(AppendFile&& other) noexcept
    : file_(std::move(other.file_)), fd_(std::exchange(other.fd_, -1)), waiting_(std::move(other.waiting_)) {}

AppendFile& AppendFile::operator=(AppendFile&& other) noexcept {
  if (this != &other) {
    close_quietly();
    file_ = std::move(other.file_);
    fd_ = std::exchange(other.fd_, -1);
    waiting_ = std::move(other.waiting_);
  }
  return *this;
}

AppendFile::~AppendFile() { close_quietly(); }

void AppendFile::close_quietly() noexcept {
  if (fd_ < 0) return;
  write_all(fd_, waiting_.data(), waiting_.size());
  waiting_.clear();
  ::close(std::exchange(fd_, -1));
}

void AppendFile::write(std::string_view text) {
  waiting_ += text;
  if (waiting_.size() >= 64 * 1024) flush();
}

void AppendFile::flush() {
  const bool written = write_all(fd_, waiting_.data(), waiting_.size());
  waiting_.clear();
  if (!written) fail(file_, "cannot write: " + errno_text());
}

}  // namespace linconv
