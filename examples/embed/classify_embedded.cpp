// classify_embedded [LOGITS.npy] < IMAGES: the class of every image of an IDX file (gzip or
// plain) read from standard input, one per line, by the model compiled into the program
// (fashion_model.hpp, written by `linconv export`): no model file is read. Optionally writes all
// logits as .npy.
#include <cstdio>

#include "classify_images.hpp"
#include "fashion_model.hpp"

int main(int argc, char** argv) {
  if (argc > 2) {
    std::fprintf(stderr, "usage: classify_embedded [LOGITS.npy] < IMAGES\n");
    return 2;
  }
  try {
    const linconv::IdxImages images = linconv::read_idx_images("/dev/stdin");
    const std::vector<float> logits = classify_images(fashion_model::model(), images);
    if (argc == 2) linconv::write_npy(argv[1], logits, {images.count, 10});
  } catch (const linconv::Error& e) {
    std::fprintf(stderr, "classify_embedded: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
