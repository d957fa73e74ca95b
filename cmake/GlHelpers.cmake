# Small helpers, one per kind of target, so each folder's CMakeLists.txt reads
# as a list of what it builds. Flags live on targets, never globally.
#
#   gl_cc_library(NAME n [HDRS …] SRCS … [DEPS …] [TESTONLY])
#   gl_cc_binary(NAME n SRCS … [DEPS …] [OUTPUT_NAME o])
#   gl_cc_test(NAME n SRCS … [DEPS …] [LABELS unit|integration|e2e] [TIMEOUT s]
#              [FIXTURES …] [ENVIRONMENT K=V …])
#   gl_proto_library(NAME n PROTOS … [GRPC] [DEPS …])
#   gl_fuzz_target(NAME n SRCS … [DEPS …])
include_guard(GLOBAL)

# The warnings every target of ours compiles with. A dropped absl::Status is an
# error (-Werror=unused-result): ignore one only on purpose, with a comment.
function(_gl_set_common_options target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wno-unused-parameter -Werror=unused-result
    -Werror=return-type -Werror=format -Wno-missing-field-initializers)
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
  if(GL_SANITIZER_FLAGS)
    target_compile_options(${target} PRIVATE ${GL_SANITIZER_FLAGS} -fno-omit-frame-pointer)
    target_link_options(${target} PUBLIC ${GL_SANITIZER_FLAGS})
  endif()
endfunction()

function(gl_cc_library)
  cmake_parse_arguments(GL "TESTONLY" "NAME" "HDRS;SRCS;DEPS" ${ARGN})
  if(GL_SRCS)
    add_library(${GL_NAME} STATIC ${GL_SRCS} ${GL_HDRS})
    _gl_set_common_options(${GL_NAME})
    target_link_libraries(${GL_NAME} PUBLIC ${GL_DEPS})
  else()
    add_library(${GL_NAME} INTERFACE)
    target_include_directories(${GL_NAME} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(${GL_NAME} INTERFACE ${GL_DEPS})
  endif()
endfunction()

# In the TSan build, test executables carry tests/tsan/absl_mutex_annotations.cc
# so TSan sees the synchronisation of Debian's (uninstrumented) absl::Mutex.
function(gl_tsan_annotate target)
  if(GL_SANITIZE STREQUAL "thread")
    target_sources(${target} PRIVATE ${PROJECT_SOURCE_DIR}/tests/tsan/absl_mutex_annotations.cc)
    target_link_libraries(${target} PRIVATE ${CMAKE_DL_LIBS})
  endif()
endfunction()

# Records an executable that unit or integration tests run, so the target
# `gl_checks` (defined at the end of the top-level CMakeLists.txt) builds all
# of them and nothing else (the sanitizer gates build just that).
function(gl_checked_executable target)
  set_property(GLOBAL APPEND PROPERTY GL_CHECKED_EXECUTABLES ${target})
endfunction()

function(gl_cc_binary)
  cmake_parse_arguments(GL "" "NAME;OUTPUT_NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${GL_NAME} ${GL_SRCS})
  _gl_set_common_options(${GL_NAME})
  target_link_libraries(${GL_NAME} PRIVATE ${GL_DEPS})
  if(GL_OUTPUT_NAME)
    set_target_properties(${GL_NAME} PROPERTIES OUTPUT_NAME ${GL_OUTPUT_NAME})
  endif()
endfunction()

# A GoogleTest binary registered as one ctest test. LABELS default to "unit".
function(gl_cc_test)
  cmake_parse_arguments(GL "" "NAME;TIMEOUT" "SRCS;DEPS;LABELS;FIXTURES;ENVIRONMENT" ${ARGN})
  add_executable(${GL_NAME} ${GL_SRCS})
  _gl_set_common_options(${GL_NAME})
  target_link_libraries(${GL_NAME} PRIVATE ${GL_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  gl_tsan_annotate(${GL_NAME})
  add_test(NAME ${GL_NAME} COMMAND ${GL_NAME})
  if(NOT GL_LABELS)
    set(GL_LABELS unit)
  endif()
  if(NOT GL_TIMEOUT)
    set(GL_TIMEOUT 300)
  endif()
  set_tests_properties(${GL_NAME} PROPERTIES LABELS "${GL_LABELS}" TIMEOUT ${GL_TIMEOUT})
  if(GL_LABELS MATCHES "unit|integration")
    gl_checked_executable(${GL_NAME})
  endif()
  if(GL_FIXTURES)
    set_tests_properties(${GL_NAME} PROPERTIES FIXTURES_REQUIRED "${GL_FIXTURES}")
  endif()
  if(GL_ENVIRONMENT)
    set_tests_properties(${GL_NAME} PROPERTIES ENVIRONMENT "${GL_ENVIRONMENT}")
  endif()
endfunction()

# One proto package as one library; its generated headers are a PUBLIC include
# directory of that target only (include as "gridledger/v1/foo.pb.h").
function(gl_proto_library)
  cmake_parse_arguments(GL "GRPC" "NAME" "PROTOS;DEPS" ${ARGN})
  add_library(${GL_NAME} STATIC ${GL_PROTOS})
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/gen)
  file(MAKE_DIRECTORY ${out_dir})
  target_link_libraries(${GL_NAME} PUBLIC protobuf::libprotobuf ${GL_DEPS})
  target_include_directories(${GL_NAME} PUBLIC ${out_dir})
  protobuf_generate(TARGET ${GL_NAME} LANGUAGE cpp
    IMPORT_DIRS ${CMAKE_CURRENT_SOURCE_DIR} PROTOC_OUT_DIR ${out_dir})
  if(GL_GRPC)
    target_link_libraries(${GL_NAME} PUBLIC gRPC::grpc++)
    protobuf_generate(TARGET ${GL_NAME} LANGUAGE grpc
      GENERATE_EXTENSIONS .grpc.pb.h .grpc.pb.cc
      PLUGIN "protoc-gen-grpc=\$<TARGET_FILE:gRPC::grpc_cpp_plugin>"
      IMPORT_DIRS ${CMAKE_CURRENT_SOURCE_DIR} PROTOC_OUT_DIR ${out_dir})
  endif()
endfunction()

# A fuzz target n_fuzzer whose sources define LLVMFuzzerTestOneInput, its seed
# corpus in fuzz/corpus/n. With GL_FUZZ a libFuzzer binary; otherwise it gets
# a main that runs every input of the corpus once, registered as the unit test
# n_corpus.
function(gl_fuzz_target)
  cmake_parse_arguments(GL "" "NAME" "SRCS;DEPS" ${ARGN})
  set(binary ${GL_NAME}_fuzzer)
  set(corpus ${PROJECT_SOURCE_DIR}/fuzz/corpus/${GL_NAME})
  if(GL_FUZZ)
    add_executable(${binary} ${GL_SRCS})
    target_link_options(${binary} PRIVATE -fsanitize=fuzzer)
  else()
    add_executable(${binary} ${GL_SRCS} ${PROJECT_SOURCE_DIR}/fuzz/testing/replay_main.cc)
    add_test(NAME ${GL_NAME}_corpus COMMAND ${binary} ${corpus})
    set_tests_properties(${GL_NAME}_corpus PROPERTIES LABELS unit TIMEOUT 300)
    gl_checked_executable(${binary})
  endif()
  _gl_set_common_options(${binary})
  target_link_libraries(${binary} PRIVATE ${GL_DEPS})
endfunction()
