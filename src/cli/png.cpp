#include "png.hpp"

#include <png.h>

#include <string>

#include "linconv/atomic_file.hpp"
#include "linconv/error.hpp"

namespace linconv::cli {

void write_png(const std::filesystem::path& file, const GrayImage& image) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  png.width = png_uint_32(image.width);
  png.height = png_uint_32(image.height);
  png.format = PNG_FORMAT_GRAY;
  // First call: the size of the encoded image; second: the encoding.
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&png, nullptr, &size, 0, image.pixels.data(), image.width, nullptr))
    throw Error(file.string() + ": cannot encode PNG: " + png.message);
  std::vector<std::byte> bytes(size);
  if (!png_image_write_to_memory(&png, bytes.data(), &size, 0, image.pixels.data(), image.width, nullptr))
    throw Error(file.string() + ": cannot encode PNG: " + png.message);
  bytes.resize(size);
  write_file_atomically(file, {bytes});
}

}  // namespace linconv::cli
