# tagflow_module(<name> [DEPS <targets>...])
#
# Declares the static library `tagflow_<name>` from every `*.cc` in the calling
# folder except `*_test.cc` and `main.cc`, and, when tests are on, one GoogleTest
# binary `<name>_test` from the `*_test.cc` files beside them, registered with
# CTest. Sources are globbed (CONFIGURE_DEPENDS) so a module's file list lives in
# one place: the folder itself.
function(tagflow_module name)
  cmake_parse_arguments(M "" "" "DEPS;TEST_DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/*.cc")
  file(GLOB tests CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/*_test.cc")
  if(tests)
    list(REMOVE_ITEM srcs ${tests})
  endif()
  list(FILTER srcs EXCLUDE REGEX "/main\\.cc$")

  add_library(tagflow_${name} STATIC ${srcs})
  target_include_directories(tagflow_${name} PUBLIC "${PROJECT_SOURCE_DIR}")
  target_link_libraries(tagflow_${name} PUBLIC ${M_DEPS})

  if(TAGFLOW_BUILD_TESTS AND tests)
    add_executable(${name}_test ${tests})
    target_link_libraries(${name}_test PRIVATE tagflow_${name} ${M_TEST_DEPS}
                          GTest::gmock GTest::gtest_main)
    gtest_discover_tests(${name}_test
      PROPERTIES LABELS "unit\;${name}"
      DISCOVERY_TIMEOUT 60)
  endif()
endfunction()
