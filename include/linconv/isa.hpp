#pragma once
// Which instruction set the shape-specialised kernels run with, chosen once per process at run
// time, so that one build runs on any x86-64 CPU and at its best on each:
//   avx512   x86-64-v4 (AVX-512 F/VL/BW/DQ, FMA): 16 floats a vector, 32 vector registers
//   avx2     x86-64-v3 (AVX2, FMA):                8 floats a vector, 16 registers
//   generic  what the build's flags give (SSE2 by default): 4 floats a vector, 16 registers
// The best the CPU and the operating system support is taken, unless the environment variable
// LINCONV_ISA names another (avx512, avx2 or generic): CI runs the tests on every path this way.
// Results are bit-identical for the same instruction set; between them the kernels add in
// another order (vector widths and register blocks differ), so results differ in the last bits.
namespace linconv::kernels {

enum class Isa { generic, avx2, avx512 };

// The instruction set of this process's kernels (LINCONV_ISA, or the best supported). A value of
// LINCONV_ISA that is unknown or that this CPU cannot run ends the process with a message.
Isa active_isa();

// Whether this CPU (and its operating system) runs the kernels of `isa`.
bool supported(Isa isa);

constexpr const char* isa_name(Isa isa) {
  return isa == Isa::avx512 ? "avx512" : isa == Isa::avx2 ? "avx2" : "generic";
}

}  // namespace linconv::kernels
