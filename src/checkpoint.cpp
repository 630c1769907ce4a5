// Reading a network's state from a checkpoint (linconv/checkpoint.hpp): the checks and copies
// that used to be instantiated once per network type, now once for all of them.
#include "linconv/checkpoint.hpp"

namespace linconv {

void read_state(const SafetensorsFile& contents, const std::filesystem::path& file, std::string_view architecture,
                std::uint64_t architecture_hash, std::span<const NetTensor> tensors,
                std::span<const NetTensor> buffer_tensors, std::span<float> values, std::span<float> buffers,
                std::span<std::int64_t> counters) {
  const std::string where = file.string() + ": ";
  if (auto it = contents.metadata.find("architecture_hash");
      it != contents.metadata.end() && it->second != hash_text(architecture_hash)) {
    auto arch = contents.metadata.find("architecture");
    throw Error(where + "made for another network (" +
                (arch != contents.metadata.end() ? arch->second : "hash " + it->second) + "), expected " +
                std::string(architecture));
  }
  auto find = [&](const NetTensor& t) {
    const Tensor* found = contents.find(t.name());
    const std::vector<std::int64_t> expected = detail::dims_of(t.tensor);
    const DType dtype = detail::dtype_of(t.tensor);
    if (!found)
      throw Error(where + "tensor " + t.name() + " is missing (expected shape " + detail::shape_text(expected) + ")");
    if (found->shape != expected)
      throw Error(where + "tensor " + t.name() + " has shape " + detail::shape_text(found->shape) + ", expected " +
                  detail::shape_text(expected));
    if (found->dtype != dtype)
      throw Error(where + "tensor " + t.name() + " has dtype " + std::string(dtype_name(found->dtype)) +
                  ", expected " + std::string(dtype_name(dtype)));
    return found;
  };
  for (const NetTensor& t : tensors) {
    const Tensor* found = find(t);
    std::copy(found->values.begin(), found->values.end(), values.begin() + std::ptrdiff_t(t.offset));
  }
  for (const NetTensor& t : buffer_tensors) {
    const Tensor* found = find(t);
    auto check_sign = [&](const auto& stored) {
      const auto negative = std::ranges::find_if(stored, [](auto v) { return v < 0; });
      if (t.tensor.non_negative && negative != stored.end())
        throw Error(where + "tensor " + t.name() + " holds a negative value at index " +
                    std::to_string(negative - stored.begin()) + " (" + std::to_string(*negative) +
                    "), which it cannot");
    };
    if (t.tensor.integer) {
      check_sign(found->integers);
      std::copy(found->integers.begin(), found->integers.end(), counters.begin() + std::ptrdiff_t(t.offset));
    } else {
      check_sign(found->values);
      std::copy(found->values.begin(), found->values.end(), buffers.begin() + std::ptrdiff_t(t.offset));
    }
  }
  if (contents.tensors.size() != tensors.size() + buffer_tensors.size()) {
    auto known = [&](const std::string& name) {
      auto named = [&](const NetTensor& t) { return t.name() == name; };
      return std::ranges::any_of(tensors, named) || std::ranges::any_of(buffer_tensors, named);
    };
    for (const Tensor& tensor : contents.tensors)
      if (!known(tensor.name))
        throw Error(where + "unexpected tensor " + tensor.name + " (the network " + std::string(architecture) +
                    " has no such tensor)");
  }
}

}  // namespace linconv
