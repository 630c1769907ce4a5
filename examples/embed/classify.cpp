// classify MODEL.safetensors IMAGES [LOGITS.npy]: the class of every image of an IDX file (gzip
// or plain), one per line, by a checkpoint loaded at run time; optionally all logits as .npy.
#include <cstdio>

#include "classify_images.hpp"

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    std::fprintf(stderr, "usage: classify MODEL.safetensors IMAGES [LOGITS.npy]\n");
    return 2;
  }
  try {
    const auto model = linconv::Model<linconv::FashionNet>::load(argv[1]);
    const linconv::IdxImages images = linconv::read_idx_images(argv[2]);
    const std::vector<float> logits = classify_images(model, images);
    if (argc == 4) linconv::write_npy(argv[3], logits, {images.count, 10});
  } catch (const linconv::Error& e) {
    std::fprintf(stderr, "classify: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
