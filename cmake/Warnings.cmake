# linconv_warnings: the warning set for our own code; errors when LINCONV_WERROR is on (CI).
add_library(linconv_warnings INTERFACE)
target_compile_options(linconv_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
  -Wno-missing-field-initializers  # designated initialisers of option structs rely on defaults
  $<$<BOOL:${LINCONV_WERROR}>:-Werror>
  # g++ 12 reports -Wrestrict inside libstdc++'s std::string concatenation at -O2/-O3 (a false
  # positive, GCC bug 105329).
  $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>)

# linconv_options: what the library's users must compile with too (installed as
# linconv::options). No -march: the kernels are compiled for every instruction set and chosen at
# run time (include/linconv/isa.hpp), so the package runs on any x86-64 and its users' inline
# code agrees with the library whatever flags they use.
add_library(linconv_options INTERFACE)
if(LINCONV_SANITIZE)
  target_compile_options(linconv_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                                                   -fno-sanitize-recover=undefined)
  # The kernels at -O1 too, not O3 (for_each_isa.hpp).
  target_compile_definitions(linconv_options INTERFACE LINCONV_KERNELS_AT_BUILD_LEVEL)
  target_link_options(linconv_options INTERFACE -fsanitize=address,undefined)
elseif(LINCONV_TSAN)
  target_compile_options(linconv_options INTERFACE -fsanitize=thread)
  target_link_options(linconv_options INTERFACE -fsanitize=thread)
  target_compile_definitions(linconv_options INTERFACE LINCONV_KERNELS_AT_BUILD_LEVEL)
endif()

# g++ 12 reports -W(maybe-)uninitialized inside its own AVX-512 intrinsics when Eigen's GEMM is
# inlined into a file (GCC bug 105593); the files that instantiate Eigen's GEMM turn it off.
function(linconv_eigen_gemm_sources)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    set_source_files_properties(${ARGN} DIRECTORY ${PROJECT_SOURCE_DIR}/src
      PROPERTIES COMPILE_OPTIONS "-Wno-uninitialized;-Wno-maybe-uninitialized")
  endif()
endfunction()
