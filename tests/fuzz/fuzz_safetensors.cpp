// libFuzzer target for the safetensors reader (src/safetensors.cpp): the input is one file.
// Refusal must be linconv::Error; any other exception, crash, sanitizer report or an accepted
// file that breaks the reader's documented guarantees (shape matches the elements of the tensor's
// dtype, F32 or I64, and the other dtype's vector is empty; finite F32 values; tensors in data
// order and findable by name) is a finding.
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "fuzz_input_file.hpp"
#include "linconv/error.hpp"
#include "linconv/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static linconv::fuzz::InputFile file("fuzz_safetensors");
  const std::string& path = file.write(data, size);

  linconv::fuzz::expect_only_linconv_error("read_safetensors", [&] {
    const linconv::SafetensorsFile st = linconv::read_safetensors(path);
    std::size_t total = 0;
    for (const linconv::Tensor& t : st.tensors) {
      std::size_t count = 1;
      for (const std::int64_t d : t.shape) {
        if (d < 0) linconv::fuzz::finding("accepted a negative dimension");
        count *= static_cast<std::size_t>(d);
      }
      const bool integral = t.dtype == linconv::DType::i64;
      if (!integral && t.dtype != linconv::DType::f32)
        linconv::fuzz::finding("tensor's dtype is neither F32 nor I64");
      if (count != (integral ? t.integers.size() : t.values.size()))
        linconv::fuzz::finding("tensor's shape does not match its number of elements");
      if (integral ? !t.values.empty() : !t.integers.empty())
        linconv::fuzz::finding("tensor holds elements of the other dtype");
      for (const float v : t.values)
        if (!std::isfinite(v)) linconv::fuzz::finding("accepted a non-finite value");
      if (st.find(t.name) != &t) linconv::fuzz::finding("find() does not return the tensor");
      if (t.name == "__metadata__") linconv::fuzz::finding("\"__metadata__\" read as a tensor");
      total += t.values.size() * sizeof(float) + t.integers.size() * sizeof(std::int64_t);
    }
    // The tensors tile the data buffer, which follows the 8-byte length and the header.
    if (total > size) linconv::fuzz::finding("tensors hold more bytes than the file");
  });
  return 0;
}
