// No include guard: included once per file of kernels, after `#define LINCONV_ISA_BODY "file"`.
//
// Compiles the kernels of LINCONV_ISA_BODY three times, once per instruction set of isa.hpp,
// into the namespaces linconv::kernels::avx512, ::avx2 and ::generic, so that the caller can
// pick one at run time (LINCONV_DISPATCH below). It is the method of Google Highway's
// foreach_target.h without its vector API: GCC's `#pragma GCC target` (Clang's `#pragma clang
// attribute`, below) gives every function defined in the body, template instantiations and
// lambdas included, the instruction set of its section whatever the compiler flags, and
// simd_isa.hpp gives the body a vector type as wide as that instruction set's. The generic section has no target: it is what the flags give.
// Every section is compiled at -O3 (`#pragma GCC optimize`) whatever the user's level: at -O2,
// g++ 12 does not unroll the small loops over a register block, the accumulators then live in
// memory and the convolutions ran 5x slower. (At -O0, a debug build, they stay slow.)
// LINCONV_KERNELS_AT_BUILD_LEVEL leaves the build's level: the sanitizer build (CMake's
// LINCONV_SANITIZE, at -O1) defines it, so that the sanitizers check the kernels as written, not
// as O3 unrolled them, and its test files compile in a third of the time (89 s instead of 251 s
// for tests/test_training.cpp with g++ 12).
//
// Inside a body, LINCONV_ISA names the section's namespace; simd::lanes, simd::registers and
// simd::Vec are its vector width, register count and vector type.
#ifndef LINCONV_ISA_BODY
#error "define LINCONV_ISA_BODY before including linconv/for_each_isa.hpp"
#endif

#include <cstdint>  // what simd_isa.hpp uses, outside the namespaces
#include <cstring>
#include <type_traits>
#include <utility>

#include "linconv/isa.hpp"

// Clang has no `#pragma GCC target`: there, `#pragma clang attribute` gives every function of a
// section (lambdas too) the features of its level, and the build's own -O level applies (Clang
// has no per-section optimize). Clang 14 takes no "arch=x86-64-v4" in a target attribute, so the
// levels are spelled as their features.
#ifndef LINCONV_CLANG_TARGET_V3
#define LINCONV_CLANG_TARGET_V3 "avx,avx2,bmi,bmi2,f16c,fma,lzcnt,movbe,popcnt,sse4.2,xsave"
#define LINCONV_CLANG_TARGET_V4 "avx,avx2,bmi,bmi2,f16c,fma,lzcnt,movbe,popcnt,sse4.2,xsave,avx512f,avx512bw,avx512cd,avx512dq,avx512vl"
#endif

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target(LINCONV_CLANG_TARGET_V4))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("arch=x86-64-v4")
#ifndef LINCONV_KERNELS_AT_BUILD_LEVEL
#pragma GCC optimize("O3")
#endif
#endif
#define LINCONV_ISA avx512
#define LINCONV_ISA_LANES 16
#define LINCONV_ISA_REGISTERS 32
#ifndef LINCONV_SIMD_AVX512
#define LINCONV_SIMD_AVX512
#include "linconv/simd_isa.hpp"
#endif
#include LINCONV_ISA_BODY
#undef LINCONV_ISA
#undef LINCONV_ISA_LANES
#undef LINCONV_ISA_REGISTERS
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target(LINCONV_CLANG_TARGET_V3))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("arch=x86-64-v3")
#ifndef LINCONV_KERNELS_AT_BUILD_LEVEL
#pragma GCC optimize("O3")
#endif
#endif
#define LINCONV_ISA avx2
#define LINCONV_ISA_LANES 8
#define LINCONV_ISA_REGISTERS 16
#ifndef LINCONV_SIMD_AVX2
#define LINCONV_SIMD_AVX2
#include "linconv/simd_isa.hpp"
#endif
#include LINCONV_ISA_BODY
#undef LINCONV_ISA
#undef LINCONV_ISA_LANES
#undef LINCONV_ISA_REGISTERS
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#if !defined(__clang__)
#pragma GCC push_options
#ifndef LINCONV_KERNELS_AT_BUILD_LEVEL
#pragma GCC optimize("O3")
#endif
#endif
#define LINCONV_ISA generic
#define LINCONV_ISA_LANES 4
#define LINCONV_ISA_REGISTERS 16
#ifndef LINCONV_SIMD_GENERIC
#define LINCONV_SIMD_GENERIC
#include "linconv/simd_isa.hpp"
#endif
#include LINCONV_ISA_BODY
#undef LINCONV_ISA
#undef LINCONV_ISA_LANES
#undef LINCONV_ISA_REGISTERS
#if !defined(__clang__)
#pragma GCC pop_options
#endif

#undef LINCONV_ISA_BODY

// `LINCONV_DISPATCH(f<A, B>(args));` calls f of the active instruction set's namespace (a
// variadic macro: the template arguments' commas are not the macro's).
#ifndef LINCONV_DISPATCH
#define LINCONV_DISPATCH(...)                                         \
  switch (::linconv::kernels::active_isa()) {                         \
    case ::linconv::kernels::Isa::avx512: avx512::__VA_ARGS__; break; \
    case ::linconv::kernels::Isa::avx2: avx2::__VA_ARGS__; break;     \
    default: generic::__VA_ARGS__; break;                             \
  }
#endif
