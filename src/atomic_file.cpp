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

bool write_all(int fd, const std::byte* data, std::size_t size) {
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
  static std::atomic<unsigned> serial{0};
  const std::filesystem::path temporary =
      file.string() + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(serial++);
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) fail(file, "cannot create " + temporary.string() + ": " + errno_text());
  try {
    const auto check = [&](bool ok) {
      if (!ok) fail(file, "cannot write " + temporary.string() + ": " + errno_text());
    };
    for (const std::span<const std::byte> part : parts) check(write_all(fd, part.data(), part.size()));
    check(::fsync(fd) == 0);
    check(::close(std::exchange(fd, -1)) == 0);
    if (::rename(temporary.c_str(), file.c_str()) != 0)
      fail(file, "cannot rename " + temporary.string() + " to it: " + errno_text());
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlink(temporary.c_str());
    throw;
  }
  const std::filesystem::path directory = file.has_parent_path() ? file.parent_path() : ".";
  const int dir_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0 || ::fsync(dir_fd) != 0) {
    const std::string reason = errno_text();
    if (dir_fd >= 0) ::close(dir_fd);
    fail(file, "written, but cannot sync its directory: " + reason);
  }
  ::close(dir_fd);
}

}  // namespace linconv
