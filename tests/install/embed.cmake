# install.embed: installs linconv into a fresh prefix, builds examples/embed against it as a
# separate CMake project, and checks that both example programs give `linconv predict`'s logits
# for the same checkpoint and images.
#   cmake -DSOURCE_DIR=<repo> -DBUILD_DIR=<linconv build> -DWORK=<scratch dir> -DCXX=<compiler>
#         -DCXX_ID=<its CMake id> -DBUILD_TYPE=<type> -DCOMPARE=<compare_logits> -P embed.cmake
# The programs run Model<FashionNet> one image at a time and `predict` runs batches of 100, so
# the fully connected layer sums in another order: their logits may differ by rounding (seen:
# under 5e-7 of the largest), and are allowed 1e-5 of the largest, as the golden tests allow against
# PyTorch. The two programs hold the same model and must agree bit for bit.
cmake_minimum_required(VERSION 3.25)

include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)  # run(), data, images, prefix, flags
foreach(installed include/linconv/linconv.hpp include/linconv/model.hpp lib/liblinconv.a bin/linconv
                  lib/cmake/linconv/linconv-config.cmake lib/cmake/linconv/linconv-config-version.cmake)
  if(NOT EXISTS ${prefix}/${installed})
    message(FATAL_ERROR "cmake --install did not install ${installed}")
  endif()
endforeach()

# A small checkpoint, and the reference logits, from the installed tool.
set(linconv ${prefix}/bin/linconv)
run(${linconv} train --limit 200 --steps 3 --threads 1 --data ${data} --out ${WORK}/run)
set(checkpoint ${WORK}/run/model.safetensors)
run(${linconv} predict --checkpoint ${checkpoint} --images ${images} --output ${WORK}/predict.npy)

run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples/embed -B ${WORK}/build -DCMAKE_PREFIX_PATH=${prefix}
    -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_BUILD_TYPE=${BUILD_TYPE} -DEMBED_CHECKPOINT=${checkpoint}
    -DCMAKE_CXX_FLAGS=${flags})
run(${CMAKE_COMMAND} --build ${WORK}/build -j2)

run(${WORK}/build/classify ${checkpoint} ${images} ${WORK}/classify.npy)
execute_process(COMMAND ${WORK}/build/classify_embedded ${WORK}/embedded.npy INPUT_FILE ${images}
                RESULT_VARIABLE status OUTPUT_QUIET ERROR_VARIABLE err)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "classify_embedded failed (${status}): ${err}")
endif()

run(${COMPARE} ${WORK}/embedded.npy ${WORK}/classify.npy 0)
execute_process(COMMAND ${COMPARE} ${WORK}/classify.npy ${WORK}/predict.npy 1e-5 RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "classify's logits are not linconv predict's")
endif()
file(REMOVE_RECURSE ${WORK})
