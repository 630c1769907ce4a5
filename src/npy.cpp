#include "linconv/npy.hpp"

#include <bit>
#include <string>

#include "linconv/atomic_file.hpp"
#include "linconv/error.hpp"

namespace linconv {

void write_npy(const std::filesystem::path& file, std::span<const float> values,
               const std::vector<std::int64_t>& shape) {
  static_assert(std::endian::native == std::endian::little, "the header says '<f4'");
  std::int64_t count = 1;
  std::string dims;
  for (const std::int64_t d : shape) {
    count *= d;
    dims += std::to_string(d) + ", ";
  }
  if (count != std::int64_t(values.size()))
    throw Error(file.string() + ": shape does not match the " + std::to_string(values.size()) + " values");
  dims.resize(dims.size() - (shape.size() == 1 ? 1 : 2));  // Python's tuples: "(n, m)", "(n,)"
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  // Magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64
  // and ended by a newline.
  header.append(63 - (10 + header.size()) % 64, ' ');
  header += '\n';
  const std::string preamble = std::string("\x93NUMPY\x01\x00", 8) +
                               char(header.size() & 0xff) + char(header.size() >> 8);
  write_file_atomically(file, {std::as_bytes(std::span(preamble)), std::as_bytes(std::span(header)),
                               std::as_bytes(values)});
}

}  // namespace linconv
