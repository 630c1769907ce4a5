#pragma once
// Reading and writing safetensors files (https://github.com/huggingface/safetensors) of F32
// tensors, the checkpoint format (CONVENTIONS.md, "Checkpoints"). A file is an 8-byte
// little-endian header length N, N bytes of JSON header, then the data buffer; the header maps
// each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (relative to the data
// buffer) and may hold "__metadata__", a string -> string object.
#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace linconv {

// A tensor to write: views the caller's row-major values, no copy.
struct TensorView {
  std::string name;
  std::vector<std::int64_t> shape;
  std::span<const float> values;
};

// A tensor read from a file.
struct Tensor {
  std::string name;
  std::vector<std::int64_t> shape;
  std::vector<float> values;
};

struct SafetensorsFile {
  std::map<std::string, std::string> metadata;
  std::vector<Tensor> tensors;  // in data-offset order
  const Tensor* find(std::string_view name) const;  // nullptr when absent
};

// Writes atomically: a temporary file beside `file`, fsync, rename, fsync of the directory; on
// any failure the temporary is removed and an existing `file` is left untouched. Tensors are
// laid out in the given order. Refuses (linconv::Error) tensors the reader would refuse: a shape
// that does not match the value count, a duplicate or reserved ("__metadata__") name, NaN or Inf.
void write_safetensors(const std::filesystem::path& file, std::span<const TensorView> tensors,
                       const std::map<std::string, std::string>& metadata);

// Reads and validates everything before returning: header, dtypes (F32 only), shapes, offsets
// (the tensors must cover the data buffer exactly), duplicate keys, metadata, finite values.
// Throws linconv::Error with a one-line message naming the file, the tensor and the problem.
SafetensorsFile read_safetensors(const std::filesystem::path& file);

}  // namespace linconv
