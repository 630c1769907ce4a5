# Every dependency comes from a Debian package (scripts/setup installs them).
find_package(Eigen3 3.4 REQUIRED NO_MODULE)            # libeigen3-dev: the Tensor module
find_package(Boost 1.74 REQUIRED)                      # libboost-dev: Boost.Hana (header-only)
find_package(ZLIB REQUIRED)                            # zlib1g-dev: gzip'd IDX files
find_package(nlohmann_json 3.10 REQUIRED)              # nlohmann-json3-dev: safetensors headers, config.json
find_package(Threads REQUIRED)
if(LINCONV_BUILD_TESTS)
  find_package(Catch2 2.13 REQUIRED)                   # catch2
  include(Catch)
endif()
if(LINCONV_BUILD_BENCH)
  find_package(benchmark REQUIRED)                     # libbenchmark-dev
endif()
find_package(CLI11 2.1 REQUIRED)                       # libcli11-dev: the command line
find_package(PNG 1.6 REQUIRED)                         # libpng-dev: the tests read figures back
set(MPI_CXX_SKIP_MPICXX ON)                             # the C API only, not the removed C++ bindings
find_package(MPI COMPONENTS CXX)                       # libopenmpi-dev, optional: `linconv sweep` under mpirun
if(NOT MPI_CXX_FOUND)
  message(STATUS "MPI not found: linconv sweep runs in one process only")
endif()

# Eigen's and Hana's headers warn under C++20 with g++ 12; as SYSTEM includes their warnings
# do not hide ours.
foreach(dep Eigen3::Eigen Boost::headers)
  get_target_property(dirs ${dep} INTERFACE_INCLUDE_DIRECTORIES)
  set_target_properties(${dep} PROPERTIES INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${dirs}")
endforeach()
