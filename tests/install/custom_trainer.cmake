# install.custom_trainer: installs linconv into a fresh prefix, builds examples/custom_trainer
# against it as a separate CMake project, trains its LeNet for one epoch on 6,000 images and checks
# what a user sees: eval's accuracy is well above chance, `--lambda` is refused for a network
# without alphas, predict's logits are PyTorch's for the same checkpoint (when PYTHON has torch),
# and the plain-library program trains too.
#   cmake -DSOURCE_DIR=<repo> -DBUILD_DIR=<linconv build> -DWORK=<scratch dir> -DCXX=<compiler>
#         -DCXX_ID=<its CMake id> -DBUILD_TYPE=<type> [-DPYTHON=<python with torch>] -P custom_trainer.cmake
cmake_minimum_required(VERSION 3.25)

include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)  # run(), data, images, prefix, flags
foreach(installed include/linconv/cli.hpp include/linconv/training_run.hpp lib/liblinconv_command_line.a)
  if(NOT EXISTS ${prefix}/${installed})
    message(FATAL_ERROR "cmake --install did not install ${installed}")
  endif()
endforeach()
# No installed header a user needs pulls in CLI11 or nlohmann-json.
file(GLOB_RECURSE headers ${prefix}/include/linconv/*.hpp)
foreach(header ${headers})
  file(STRINGS ${header} includes REGEX "#include [<\"](CLI/|nlohmann/)")
  if(includes)
    message(FATAL_ERROR "${header} includes ${includes}")
  endif()
endforeach()

run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples/custom_trainer -B ${WORK}/build -DCMAKE_PREFIX_PATH=${prefix}
    -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_BUILD_TYPE=${BUILD_TYPE} -DCMAKE_CXX_FLAGS=${flags})
run(${CMAKE_COMMAND} --build ${WORK}/build -j2)

set(trainer ${WORK}/build/lenet_trainer)
run(${trainer} train --data ${data} --limit 6000 --test-limit 500 --epochs 1 --threads 2 --out ${WORK}/run)
set(checkpoint ${WORK}/run/model.safetensors)
run(${trainer} eval --data ${data} --limit 1000 --checkpoint ${checkpoint})
if(NOT output MATCHES "test accuracy (0\\.[0-9]+)")
  message(FATAL_ERROR "eval printed no accuracy: ${output}")
endif()
if(CMAKE_MATCH_1 LESS 0.5)
  message(FATAL_ERROR "LeNet after one epoch on 6000 images: test accuracy ${CMAKE_MATCH_1}, expected over 0.5")
endif()
message(STATUS "lenet_trainer: ${output}")

execute_process(COMMAND ${trainer} train --data ${data} --lambda 0.5 --limit 100 --out ${WORK}/refused
                RESULT_VARIABLE status ERROR_VARIABLE err OUTPUT_QUIET)
if(NOT status EQUAL 2 OR NOT err MATCHES "lenet_trainer: error: --lambda: --net lenet has no alphas")
  message(FATAL_ERROR "--lambda for LeNet: exit ${status}, ${err}")
endif()
if(EXISTS ${WORK}/refused)
  message(FATAL_ERROR "a refused run left ${WORK}/refused behind")
endif()

# The command library's checks hold for any program built on it: an unknown command is named.
execute_process(COMMAND ${trainer} frobnicate RESULT_VARIABLE status ERROR_VARIABLE err OUTPUT_QUIET)
if(NOT status EQUAL 2 OR NOT err MATCHES
   "lenet_trainer: error: unknown command 'frobnicate': use one of train, eval, predict, grad, export, features or fold")
  message(FATAL_ERROR "lenet_trainer frobnicate: exit ${status}, ${err}")
endif()

run(${trainer} predict --checkpoint ${checkpoint} --images ${images} --limit 200 --output ${WORK}/lenet.npy)
if(PYTHON)
  run(${PYTHON} ${SOURCE_DIR}/scripts/torch_interop.py to-torch --checkpoint ${checkpoint} --images ${images}
      --limit 200 --compare ${WORK}/lenet.npy)
  message(STATUS "PyTorch: ${output}")
endif()

# The variant with alphas trains with --lambda; the program without the command line trains too.
run(${trainer} train --net lenet-alpha --lambda 0.1 --data ${data} --limit 500 --test-limit 100 --epochs 1
    --out ${WORK}/alpha)
run(${WORK}/build/train_lenet ${WORK}/plain 1 500)
foreach(file config.json metrics.csv epochs.csv model.safetensors state.safetensors)
  if(NOT EXISTS ${WORK}/plain/${file})
    message(FATAL_ERROR "train_lenet wrote no ${file}")
  endif()
endforeach()
file(REMOVE_RECURSE ${WORK})
