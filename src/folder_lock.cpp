// FolderLock (linconv/folder_lock.hpp): flock(2) on a file that names its holder.
#include "linconv/folder_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "linconv/error.hpp"

namespace linconv {
namespace {

// What the lock file says of its holder: "pid 1234 on host", or that it says nothing yet (the
// holder locks it before writing).
std::string holder_of(int fd) {
  char text[64 + HOST_NAME_MAX] = {};
  const ssize_t got = pread(fd, text, sizeof text - 1, 0);
  std::string holder(text, got > 0 ? std::size_t(got) : 0);
  while (!holder.empty() && holder.back() == '\n') holder.pop_back();
  return holder.empty() ? "another linconv process" : "linconv process " + holder;
}

}  // namespace

FolderLock::FolderLock(const std::filesystem::path& dir, const std::string& name, const std::string& what) {
  const std::filesystem::path file = dir / name;
  fd_ = open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error(file.string() + ": cannot open the lock file: " + std::strerror(errno));
  if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int e = errno;
    const std::string holder = e == EWOULDBLOCK ? holder_of(fd_) : "";
    close(fd_);
    if (e != EWOULDBLOCK) throw Error(file.string() + ": cannot lock: " + std::strerror(e));
    throw Error(what + " is in use by " + holder + " (lock " + file.string() + ")");
  }
  char host[HOST_NAME_MAX + 1] = {};
  if (gethostname(host, sizeof host - 1) != 0) std::strcpy(host, "this host");
  const std::string holder = std::to_string(getpid()) + " on " + host + "\n";
  // Only for the message of a process refused: the lock holds whether or not this is written.
  [[maybe_unused]] const bool written =
      ftruncate(fd_, 0) == 0 && pwrite(fd_, holder.data(), holder.size(), 0) == ssize_t(holder.size());
}

FolderLock::~FolderLock() {
  if (fd_ >= 0) close(fd_);
}

}  // namespace linconv
