#pragma once
// Running the `linconv` binary (LINCONV_CLI) as users do: exit status and both streams, the
// check of a one-line error, a process in the background to signal, a small FashionMNIST-like
// dataset, CSV cells.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>

#include "support/files.hpp"

namespace linconv::testing {

struct Result {
  int status = -1;
  std::string out, err;
};

// Runs a shell command, capturing both streams.
inline Result run_shell(const std::string& command) {
  const TempDir dir;
  const fs::path out = dir / "stdout", err = dir / "stderr";
  const std::string script = "{ " + command + "; } >" + out.string() + " 2>" + err.string();
  const int raw = std::system(script.c_str());
  Result result;
  result.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  result.out = read_file(out);
  result.err = read_file(err);
  return result;
}

// Runs `linconv <args>`.
inline Result linconv_cli(const std::string& args) { return run_shell(std::string(LINCONV_CLI) + " " + args); }

// Runs the shell command `second` while `first` runs in the background, from the moment `ready`
// is a file with contents (after 20 s at most), then kills `first` (SIGKILL) and waits for it.
struct Overlap {
  Result second;
  std::string first_pid;
};
inline Overlap while_running(const std::string& first, const fs::path& ready, const std::string& second) {
  const TempDir dir;
  const fs::path out = dir / "stdout", err = dir / "stderr", status = dir / "status";
  const std::string script = first + " >/dev/null 2>&1 & first=$!; i=0; until [ -s " + ready.string() +
                             " ] || [ $i -ge 400 ]; do sleep 0.05; i=$((i + 1)); done; { " + second + "; } >" +
                             out.string() + " 2>" + err.string() + "; echo $? >" + status.string() +
                             "; kill -KILL $first; wait $first; echo $first";
  const Result both = run_shell(script);
  Overlap overlap{{std::atoi(read_file(status).c_str()), read_file(out), read_file(err)}, both.out};
  while (!overlap.first_pid.empty() && overlap.first_pid.back() == '\n') overlap.first_pid.pop_back();
  return overlap;
}

// A shell command started in the background (`exec`ed, so that pid() is the program's own),
// stdout and stderr into files, for tests that signal it at chosen moments. The destructor kills
// (SIGKILL) and reaps it if it still runs.
class Background {
 public:
  explicit Background(const std::string& command) {
    const std::string script = "exec " + command + " >" + (dir_ / "stdout").string() + " 2>" + (dir_ / "stderr").string();
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  ~Background() {
    if (running()) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  bool running() const { return status_ < 0; }
  void signal(int sig) const { ::kill(pid_, sig); }
  std::string err() const { return read_file(dir_ / "stderr"); }

  // Waits at most `seconds` for `ready()` to hold, checking every 10 ms; false after the time or
  // once the process has ended without it.
  template <class Ready>
  bool wait_until(Ready&& ready, double seconds) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (!ready()) {
      if (!running() || poll() || std::chrono::steady_clock::now() > deadline) return ready();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }
  // Waits at most `seconds` for the process to end, then kills it (SIGKILL); its status (as
  // run_shell's: 128 + the signal that killed it) and both streams.
  Result finish(double seconds) {
    wait_until([] { return false; }, seconds);
    if (running()) {
      ::kill(pid_, SIGKILL);
      reap(0);
    }
    return {status_, read_file(dir_ / "stdout"), err()};
  }

 private:
  // Whether the process has ended (reaping it).
  bool poll() { return reap(WNOHANG); }
  bool reap(int options) {
    int raw = 0;
    if (::waitpid(pid_, &raw, options) != pid_) return false;
    status_ = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
    return true;
  }

  TempDir dir_;
  pid_t pid_ = -1;
  int status_ = -1;
};

// Exit status `status`, and stderr ending in one line: the linconv error containing `what`
// (progress lines of a training run may come before it).
inline void require_error(const Result& r, int status, const std::string& what) {
  INFO("stderr: " << r.err);
  CHECK(r.status == status);
  REQUIRE_FALSE(r.err.empty());
  const std::size_t start = r.err.rfind('\n', r.err.size() - 2);
  const std::string last = r.err.substr(start == std::string::npos ? 0 : start + 1);
  CHECK_THAT(last, Catch::StartsWith("linconv: error: ") && Catch::Contains(what));
  CHECK(std::count(last.begin(), last.end(), '\n') == 1);
}

// A FashionMNIST-like directory of `count` 28x28 training and test images.
inline void write_dataset(const TempDir& dir, std::uint32_t count) {
  Bytes pixels(std::size_t(count) * 28 * 28), labels(count);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = std::uint8_t(i * 7);
  for (std::uint32_t i = 0; i < count; ++i) labels[i] = std::uint8_t(i % 10);
  for (const std::string split : {"train", "t10k"}) {
    write_file(dir / (split + "-images-idx3-ubyte"), images_file(count, 28, 28, pixels));
    write_file(dir / (split + "-labels-idx1-ubyte"), labels_file(labels));
  }
}

// The cell of column `name` in data row `row` (1 = the first after the header) of a CSV text.
inline std::string csv_column(const std::string& csv, const std::string& name, int row) {
  std::istringstream lines(csv);
  std::string header, line;
  std::getline(lines, header);
  for (int i = 0; i < row; ++i) std::getline(lines, line);
  std::istringstream names(header), cells(line);
  std::string n, cell;
  while (std::getline(names, n, ',')) {
    std::getline(cells, cell, ',');
    if (n == name) return cell;
  }
  FAIL("no column " << name);
  return {};
}

}  // namespace linconv::testing
