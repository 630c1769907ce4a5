#pragma once
// Writes that a failure (a full disk, a file size limit, a kill) cannot leave half done.
// Whole files never appear half-written: the bytes go to a temporary file beside the target,
// which is fsync'ed and renamed over it, then the directory is fsync'ed. On failure the
// temporary is removed, an existing file is left untouched, and linconv::Error names the file
// and the reason. Files that grow row by row (a run's CSV files) report a refused write the
// same way.
#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace linconv {

// Writes the parts one after another as the new contents of `file`.
void write_file_atomically(const std::filesystem::path& file,
                           const std::vector<std::span<const std::byte>>& parts);

// New contents of `file`, written and synced beside it, that commit() puts in place. Files that
// belong together are all staged, then committed: a write that fails (where a full disk shows)
// then leaves every one of them as it was. Dropped uncommitted, the temporary file is removed.
class StagedFile {
 public:
  StagedFile(const std::filesystem::path& file, const std::vector<std::span<const std::byte>>& parts);
  StagedFile(StagedFile&& other) noexcept;
  StagedFile(const StagedFile&) = delete;
  StagedFile& operator=(const StagedFile&) = delete;
  StagedFile& operator=(StagedFile&&) = delete;
  ~StagedFile();
  // Renames the temporary file over `file`, then syncs the directory.
  void commit();

 private:
  std::filesystem::path file_, temporary_;
};

// A file written at its end (a CSV file, row by row): text waits in memory until flush(), or
// until 64 KB wait. A write the system refuses throws linconv::Error naming the file and the
// reason; what it wrote of a row stays at the end of the file, a line without its newline.
class AppendFile {
 public:
  AppendFile() = default;
  // Opens `file` (created when missing) to append to, or with `truncate` emptied first.
  AppendFile(const std::filesystem::path& file, bool truncate);
  AppendFile(AppendFile&& other) noexcept;
  AppendFile& operator=(AppendFile&& other) noexcept;
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;
  // Writes what waits, ignoring a failure (flush() reports them), and closes the file.
  ~AppendFile();

  void write(std::string_view text);
  void flush();

 private:
  void close_quietly() noexcept;

  std::filesystem::path file_;
  int fd_ = -1;
  std::string waiting_;
};

}  // namespace linconv
