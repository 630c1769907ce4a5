#pragma once
// An advisory lock on a folder that one process at a time may write: a training run's --out, a
// sweep's directory. The lock is flock(2) on a file in the folder (train.lock, sweep.lock), which
// holds the pid and host of the process that has it, for the message of the one refused. The
// kernel releases the lock when its holder exits, however it ends (SIGKILL included), so the
// file a dead process leaves behind locks nothing: only a live holder refuses another.
#include <filesystem>
#include <string>

namespace linconv {

class FolderLock {
 public:
  // Locks `dir`/`name` (creating the file; `dir` must exist). When another process holds it,
  // throws linconv::Error: "`what` is in use by linconv process <pid> on <host> (lock <file>)".
  FolderLock(const std::filesystem::path& dir, const std::string& name, const std::string& what);
  ~FolderLock();  // releases the lock; the file stays (removing it would race with a new holder)
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace linconv
