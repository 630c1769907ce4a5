#pragma once
// NumPy .npy files (format version 1.0) of little-endian float32, C order: what
// `numpy.load` reads. Written atomically (atomic_file.hpp).
#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

namespace linconv {

void write_npy(const std::filesystem::path& file, std::span<const float> values,
               const std::vector<std::int64_t>& shape);

}  // namespace linconv
