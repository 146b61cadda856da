# Warnings and sanitizers for owlet's own code (not for llama.cpp, which is prebuilt).
add_library(owlet_flags INTERFACE)
target_compile_options(owlet_flags INTERFACE -Wall -Wextra -Wpedantic -Wno-missing-field-initializers)
if(OWLET_SANITIZE)
  # -Wno-maybe-uninitialized: GCC 12 reports false positives inside libstdc++ once ASan instruments it.
  target_compile_options(owlet_flags INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                         -fno-sanitize-recover=undefined $<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized>)
  target_link_options(owlet_flags INTERFACE -fsanitize=address,undefined)
endif()

# owlet_module(NAME SOURCES... [DEPS ...]) — one static library per src/ module.
function(owlet_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${M_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC owlet_flags ${M_DEPS})
  if(NOT name STREQUAL "owlet_common")
    target_link_libraries(${name} PUBLIC owlet_common)  # every module may use the shared basics
  endif()
endfunction()
