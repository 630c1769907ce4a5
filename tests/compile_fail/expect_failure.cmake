# cmake -DBUILD_DIR=... -DTARGET=... -DEXPECT=regex -DMAX_LINES=n -P expect_failure.cmake
# Builds TARGET and passes when the build fails, its output matches EXPECT, and the compiler
# (build tool lines aside) printed at most MAX_LINES lines.
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR} --target ${TARGET}
                RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(status EQUAL 0)
  message(FATAL_ERROR "${TARGET} compiled, but must not")
endif()
if(NOT output MATCHES "${EXPECT}")
  message(FATAL_ERROR "${TARGET} failed without the expected diagnostic ${EXPECT}:\n${output}")
endif()
string(REGEX REPLACE "\n$" "" output "${output}")
string(REPLACE ";" "," output "${output}")
string(REPLACE "\n" ";" lines "${output}")
list(FILTER lines EXCLUDE REGEX "^(g?make|\\[|ninja|FAILED:|Consolidate)|Building CXX|Error [0-9]+$")
list(LENGTH lines count)
if(count GREATER MAX_LINES)
  message(FATAL_ERROR "${TARGET}: ${count} lines of compiler output, at most ${MAX_LINES} wanted:\n${output}")
endif()
message(STATUS "${TARGET} failed as expected, ${count} lines of compiler output")
