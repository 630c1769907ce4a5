#pragma once
// Whole-file writes that never leave a half-written file: the bytes go to a temporary file
// beside the target, which is fsync'ed and renamed over it, then the directory is fsync'ed.
// On failure the temporary is removed, an existing file is left untouched, and linconv::Error
// names the file and the reason.
#include <cstddef>
#include <filesystem>
#include <span>
#include <vector>

namespace linconv {

// Writes the parts one after another as the new contents of `file`.
void write_file_atomically(const std::filesystem::path& file,
                           const std::vector<std::span<const std::byte>>& parts);

}  // namespace linconv
