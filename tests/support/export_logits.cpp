// export_logits IMAGES N LOGITS.npy: the logits of the first N images of an IDX file from the
// model that `linconv export --name exported_model` compiled in (exported_model.hpp, found on
// the include path), one image at a time as Model::predict runs; test_cli.cpp builds it with
// tests/compile_with_linconv.sh to check an exported header against `linconv predict`.
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "exported_model.hpp"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: export_logits IMAGES N LOGITS.npy\n");
    return 2;
  }
  try {
    const linconv::IdxImages images = linconv::read_idx_images(argv[1]);
    const int count = std::atoi(argv[2]);
    const auto& model = exported_model::model();
    using Model = std::remove_cvref_t<decltype(model)>;
    std::vector<float> image(Model::input_size), logits;
    for (int i = 0; i < count; ++i) {
      const auto pixels = std::span(images.pixels).subspan(std::size_t(i) * Model::input_size, Model::input_size);
      linconv::scale_pixels(pixels, model.input_scale(), image.data());
      const typename Model::Logits one = model.predict(typename Model::Image(image.data(), Model::input_size));
      logits.insert(logits.end(), one.begin(), one.end());
    }
    linconv::write_npy(argv[3], logits, {count, Model::classes});
  } catch (const linconv::Error& e) {
    std::fprintf(stderr, "export_logits: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
