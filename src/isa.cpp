// The run-time choice of the kernels' instruction set (isa.hpp).
#include "linconv/isa.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

namespace linconv::kernels {
namespace {

Isa best_supported() {
  if (supported(Isa::avx512)) return Isa::avx512;
  if (supported(Isa::avx2)) return Isa::avx2;
  return Isa::generic;
}

Isa choose() {
  const char* forced = std::getenv("LINCONV_ISA");
  if (!forced || !*forced) return best_supported();
  for (const Isa isa : {Isa::avx512, Isa::avx2, Isa::generic}) {
    if (std::strcmp(forced, isa_name(isa)) != 0) continue;
    if (supported(isa)) return isa;
    std::fprintf(stderr, "linconv: error: LINCONV_ISA=%s: this CPU does not support it (best: %s)\n", forced,
                 isa_name(best_supported()));
    std::exit(1);
  }
  std::fprintf(stderr, "linconv: error: LINCONV_ISA=%s: expected avx512, avx2 or generic\n", forced);
  std::exit(1);
}

// The CPU features of the x86-64-v3 level (AVX2) and the ones v4 (AVX-512) adds, as
// __builtin_cpu_supports names them in both GCC and Clang: Clang 14 knows neither the level
// names ("x86-64-v3") nor "f16c", "movbe" and "lzcnt", which every CPU with AVX2, FMA and BMI2
// has (Intel since Haswell, AMD since Excavator).
bool supports_v3() {
  return __builtin_cpu_supports("avx") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
         __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt") &&
         __builtin_cpu_supports("sse4.2");
}
bool supports_v4() {
  return supports_v3() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vl");
}

}  // namespace

bool supported(Isa isa) {
  // The runtime's checks (libgcc, compiler-rt) include the operating system's support (XCR0)
  // for the vector registers.
  __builtin_cpu_init();
  switch (isa) {
    case Isa::avx512: return supports_v4();
    case Isa::avx2: return supports_v3();
    case Isa::generic: return true;
  }
  return false;
}

Isa active_isa() {
  static const Isa isa = choose();
  return isa;
}

}  // namespace linconv::kernels
