// compare_logits A.npy B.npy TOLERANCE: succeeds when the two float32 arrays (as `linconv
// predict` writes them) have the same shape and every |a - b| <= TOLERANCE * max|b|; prints the
// largest difference either way. TOLERANCE 0 asks for equal values.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

struct Npy {
  std::string shape;  // as the header spells it, e.g. "(10000, 10)"
  std::vector<float> values;
};

// Version 1.0 files of little-endian float32 in C order, the only kind linconv writes.
bool read_npy(const char* file, Npy& npy) {
  std::ifstream in(file, std::ios::binary);
  const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (bytes.size() < 10 || bytes.compare(0, 8, "\x93NUMPY\x01\x00", 8) != 0) return false;
  const std::size_t header_length = std::uint8_t(bytes[8]) | std::uint8_t(bytes[9]) << 8;
  const std::string header = bytes.substr(10, header_length);
  const std::size_t open = header.find("'shape': "), close = header.find(')', open);
  if (header.find("'descr': '<f4'") == std::string::npos || open == std::string::npos || close == std::string::npos)
    return false;
  npy.shape = header.substr(open + 9, close + 1 - (open + 9));
  const std::size_t data = 10 + header_length;
  if ((bytes.size() - data) % sizeof(float) != 0) return false;
  npy.values.resize((bytes.size() - data) / sizeof(float));
  std::memcpy(npy.values.data(), bytes.data() + data, bytes.size() - data);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: compare_logits A.npy B.npy TOLERANCE\n");
    return 2;
  }
  Npy a, b;
  for (auto [file, npy] : {std::pair{argv[1], &a}, std::pair{argv[2], &b}})
    if (!read_npy(file, *npy)) {
      std::fprintf(stderr, "compare_logits: %s is not a float32 .npy file\n", file);
      return 1;
    }
  if (a.shape != b.shape) {
    std::fprintf(stderr, "compare_logits: shapes differ: %s %s, %s %s\n", argv[1], a.shape.c_str(), argv[2], b.shape.c_str());
    return 1;
  }
  double largest = 0.0, worst = 0.0;
  std::size_t at = 0;
  for (float v : b.values) largest = std::max(largest, double(std::abs(v)));
  bool finite = true;
  for (std::size_t i = 0; i < a.values.size(); ++i) {
    const double d = std::abs(double(a.values[i]) - double(b.values[i]));
    finite = finite && std::isfinite(d);
    if (d > worst) {
      worst = d;
      at = i;
    }
  }
  const double allowed = std::atof(argv[3]) * largest;
  std::printf("%s vs %s %s: largest difference %.3g at %zu (%.9g vs %.9g), allowed %.3g (max|b| %.6g)\n", argv[1],
              argv[2], a.shape.c_str(), worst, at, a.values.empty() ? 0.0 : a.values[at],
              b.values.empty() ? 0.0 : b.values[at], allowed, largest);
  return finite && worst <= allowed ? 0 : 1;
}
