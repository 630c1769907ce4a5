#pragma once
// 8-bit grey-scale images and their PNG files, through libpng's simplified API.
#include <cstdint>
#include <filesystem>
#include <vector>

namespace linconv::cli {

struct GrayImage {
  int width = 0, height = 0;
  std::vector<std::uint8_t> pixels;  // row-major, 0 black .. 255 white

  GrayImage(int w, int h, std::uint8_t fill) : width(w), height(h), pixels(std::size_t(w) * h, fill) {}
  std::uint8_t& at(int x, int y) { return pixels[std::size_t(y) * width + x]; }
};

// Writes `image` as a PNG file, atomically (atomic_file.hpp); throws linconv::Error naming the file.
void write_png(const std::filesystem::path& file, const GrayImage& image);

}  // namespace linconv::cli
