# The golden.live test (label torch): regenerates the fixtures with PyTorch into OUT with another
# seed, then runs the golden tests of TESTS (linconv_tests) on them.
#   cmake -DPYTHON=/usr/bin/python3 -DSCRIPT=.../make_golden.py -DOUT=DIR -DSEED=N
#         -DTESTS=.../linconv_tests -P live.cmake
foreach(var PYTHON SCRIPT OUT SEED TESTS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "live.cmake: -D${var}=... is required")
  endif()
endforeach()
file(REMOVE_RECURSE "${OUT}")
execute_process(COMMAND "${PYTHON}" "${SCRIPT}" --out "${OUT}" --seed "${SEED}"
                RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${SCRIPT} --out ${OUT} --seed ${SEED} failed: ${result}")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" -E env "LINCONV_GOLDEN_DIR=${OUT}" "${TESTS}" "golden:*"
                RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "the golden tests failed on the fixtures of seed ${SEED} in ${OUT}: "
                      "${result}")
endif()
