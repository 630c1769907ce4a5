// libFuzzer target for the IDX reader (src/idx.cpp): the input is one file, plain or gzip, read
// both as an image file and as a label file. Refusal must be linconv::Error; any other exception,
// crash, sanitizer report or a result that contradicts its own header is a finding.
#include <cstddef>
#include <cstdint>

#include "fuzz_input_file.hpp"
#include "linconv/error.hpp"
#include "linconv/idx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static linconv::fuzz::InputFile file("fuzz_idx");
  const std::string& path = file.write(data, size);

  linconv::fuzz::expect_only_linconv_error("read_idx_images", [&] {
    const linconv::IdxImages images = linconv::read_idx_images(path);
    if (images.count <= 0 || images.rows <= 0 || images.cols <= 0 ||
        images.pixels.size() != static_cast<std::size_t>(images.count) *
                                    static_cast<std::size_t>(images.rows) *
                                    static_cast<std::size_t>(images.cols))
      linconv::fuzz::finding("read_idx_images returned sizes that do not match its pixels");
  });
  linconv::fuzz::expect_only_linconv_error("read_idx_labels", [&] {
    const std::vector<std::uint8_t> labels = linconv::read_idx_labels(path);
    if (labels.empty()) linconv::fuzz::finding("read_idx_labels returned no labels");
  });
  return 0;
}
