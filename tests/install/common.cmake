# What the install tests share (included by embed.cmake and custom_trainer.cmake): run(), the
# dataset, and a fresh install of the build into ${WORK}/prefix.

# run(COMMAND...): runs it, stops the test with its output when it fails, and leaves its
# standard output in `output`.
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "failed (${status}): ${ARGN}\n${out}\n${err}")
  endif()
  set(output "${out}" PARENT_SCOPE)
endfunction()

# FashionMNIST as the tools find it, and its test images, gzip'd or plain.
set(data /usr/share/datasets/fashion-mnist)
if(DEFINED ENV{LINCONV_DATA} AND NOT "$ENV{LINCONV_DATA}" STREQUAL "")
  set(data $ENV{LINCONV_DATA})
endif()
set(images ${data}/t10k-images-idx3-ubyte.gz)
if(NOT EXISTS ${images})
  set(images ${data}/t10k-images-idx3-ubyte)
endif()

file(REMOVE_RECURSE ${WORK})
set(prefix ${WORK}/prefix)
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})

# The examples must build without warnings (-Wrestrict: a false positive of g++ 12 inside
# libstdc++'s string concatenation, GCC bug 105329, as cmake/Warnings.cmake notes).
set(flags "-Wall -Wextra -Werror")
if(CXX_ID STREQUAL "GNU")
  string(APPEND flags " -Wno-restrict")
endif()
