#pragma once
// Reading and writing safetensors files (https://github.com/huggingface/safetensors) of F32 and
// I64 tensors, the checkpoint format (CONVENTIONS.md, "Checkpoints"): F32 for parameters and
// buffers, I64 for counters such as BatchNorm2d's `num_batches_tracked` (shape [], one element),
// as PyTorch saves them. A file is an 8-byte little-endian header length N, N bytes of JSON
// header, then the data buffer; the header maps each tensor name to {"dtype", "shape",
// "data_offsets": [begin, end]} (relative to the data buffer) and may hold "__metadata__", a
// string -> string object. A shape [] (rank 0) holds one element.
#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "linconv/atomic_file.hpp"

namespace linconv {

// The element types a file may hold: F32 and I64 in the header, little-endian in the data.
enum class DType { f32, i64 };

// The header's name of `dtype`: "F32" or "I64".
constexpr std::string_view dtype_name(DType dtype) {
  return dtype == DType::i64 ? "I64" : "F32";
}

// A tensor to write: views the caller's row-major elements, no copy. `values` holds them when
// `dtype` is f32, `integers` when it is i64 (the other span stays empty); `{name, shape, values}`
// is an F32 tensor.
struct TensorView {
  std::string name;
  std::vector<std::int64_t> shape;
  std::span<const float> values;
  DType dtype = DType::f32;
  std::span<const std::int64_t> integers = {};

  // An I64 tensor, e.g. `TensorView::of_integers("bn1.num_batches_tracked", {}, count)`.
  static TensorView of_integers(std::string name, std::vector<std::int64_t> shape,
                                std::span<const std::int64_t> integers) {
    return {std::move(name), std::move(shape), {}, DType::i64, integers};
  }
};

// A tensor read from a file: `values` holds the elements when `dtype` is f32, `integers` when it
// is i64 (the other vector is empty).
struct Tensor {
  std::string name;
  std::vector<std::int64_t> shape;
  std::vector<float> values;
  DType dtype = DType::f32;
  std::vector<std::int64_t> integers = {};
};

struct SafetensorsFile {
  std::map<std::string, std::string> metadata;
  std::vector<Tensor> tensors;  // in data-offset order
  const Tensor* find(std::string_view name) const;  // nullptr when absent
};

// Writes atomically: a temporary file beside `file`, fsync, rename, fsync of the directory; on
// any failure the temporary is removed and an existing `file` is left untouched. Tensors are
// laid out in the given order, each with the dtype of its view. Refuses (linconv::Error) tensors
// the reader would refuse: a shape that does not match the element count, a duplicate or reserved
// ("__metadata__") name, NaN or Inf in an F32 tensor; and a view whose span for the other dtype
// is not empty.
void write_safetensors(const std::filesystem::path& file, std::span<const TensorView> tensors,
                       const std::map<std::string, std::string>& metadata);
// The same, staged (atomic_file.hpp): in place once committed, with the files staged beside it.
StagedFile stage_safetensors(const std::filesystem::path& file, std::span<const TensorView> tensors,
                             const std::map<std::string, std::string>& metadata);

// Reads and validates everything before returning: header, dtypes (F32 or I64, any other is
// refused), shapes, offsets (a tensor spans its element count times 4 bytes for F32, 8 for I64;
// the tensors must cover the data buffer exactly), duplicate keys, metadata, finite F32 values.
// Throws linconv::Error with a one-line message naming the file, the tensor and the problem.
SafetensorsFile read_safetensors(const std::filesystem::path& file);

}  // namespace linconv
