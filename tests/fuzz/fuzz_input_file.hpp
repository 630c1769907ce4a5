#pragma once
// Shared by the fuzz targets: the readers take paths, so each input is written to an in-memory
// file (memfd_create, never on disk) and handed over as /proc/self/fd/N. Every open of that path
// is a new file description starting at offset 0, so the reader sees exactly the input's bytes.
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <typeinfo>

#include "linconv/error.hpp"

namespace linconv::fuzz {

// Aborts with a message: libFuzzer (and the replay driver) report it as a crash with the input.
[[noreturn]] inline void finding(const std::string& what) {
  std::fprintf(stderr, "FUZZ FINDING: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

// One in-memory file per process, rewritten for every input.
class InputFile {
 public:
  explicit InputFile(const char* name) : fd_(::memfd_create(name, MFD_CLOEXEC)) {
    if (fd_ < 0) finding(std::string("memfd_create failed: ") + std::strerror(errno));
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  ~InputFile() { ::close(fd_); }

  // Replaces the contents with `size` bytes of `data`; returns the path to open.
  const std::string& write(const std::uint8_t* data, std::size_t size) {
    if (::ftruncate(fd_, 0) != 0) finding(std::string("ftruncate failed: ") + std::strerror(errno));
    std::size_t done = 0;
    while (done < size) {
      const ssize_t n = ::pwrite(fd_, data + done, size - done, static_cast<off_t>(done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) finding(std::string("pwrite failed: ") + std::strerror(errno));
      done += static_cast<std::size_t>(n);
    }
    return path_;
  }

 private:
  int fd_;
  std::string path_;
};

// Runs `read`; linconv::Error is the one accepted outcome of bad input, anything else thrown is
// a finding. `what` names the reader in the message.
template <class Read>
void expect_only_linconv_error(const char* what, Read&& read) {
  try {
    read();
  } catch (const linconv::Error&) {
    // Refused with the documented exception: fine.
  } catch (const std::exception& e) {
    finding(std::string(what) + " threw " + typeid(e).name() + " (not linconv::Error): " +
            e.what());
  } catch (...) {
    finding(std::string(what) + " threw something that is not a std::exception");
  }
}

}  // namespace linconv::fuzz
