# `cmake --install` puts the headers, the library, the `linconv` tool and a CMake package into the
# prefix, so that a program needs only
#   find_package(linconv)
#   target_link_libraries(app PRIVATE linconv::linconv)
# (examples/embed is such a program). The targets themselves are installed in src/CMakeLists.txt.
include(CMakePackageConfigHelpers)

set(LINCONV_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/linconv)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/linconv DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT linconv-targets NAMESPACE linconv:: DESTINATION ${LINCONV_INSTALL_CMAKEDIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/linconv-config.cmake.in
                              ${PROJECT_BINARY_DIR}/linconv-config.cmake
                              INSTALL_DESTINATION ${LINCONV_INSTALL_CMAKEDIR})
# 0.x: a new minor version may change the API.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/linconv-config-version.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/linconv-config.cmake ${PROJECT_BINARY_DIR}/linconv-config-version.cmake
        DESTINATION ${LINCONV_INSTALL_CMAKEDIR})
