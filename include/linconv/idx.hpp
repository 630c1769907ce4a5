#pragma once
// Reader for IDX files (the MNIST/FashionMNIST format), plain or gzip-compressed, and the loader
// of a FashionMNIST split. Everything is validated before use; any problem throws linconv::Error
// with one line naming the file and what was wrong.
#include <cstdint>
#include <filesystem>
#include <vector>

namespace linconv {

// Unsigned-byte images, row-major [count, rows, cols].
struct IdxImages {
  int count = 0, rows = 0, cols = 0;
  std::vector<std::uint8_t> pixels;
};

// An IDX image file (magic 0x00000803: unsigned bytes, 3 dimensions).
IdxImages read_idx_images(const std::filesystem::path& file);

// An IDX label file (magic 0x00000801: unsigned bytes, 1 dimension).
std::vector<std::uint8_t> read_idx_labels(const std::filesystem::path& file);

enum class Split { train, test };

struct Dataset {
  IdxImages images;
  std::vector<std::uint8_t> labels;
  int size() const { return images.count; }
};

// Reads <dir>/{train,t10k}-images-idx3-ubyte and the matching -labels-idx1-ubyte, each with or
// without .gz (the plain file when both exist), and checks that the images are 28x28, that there
// is one label per image and that every label is in 0..9.
Dataset load_fashion_mnist(const std::filesystem::path& dir, Split split);

}  // namespace linconv
