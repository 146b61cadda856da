# Imports the prebuilt, pinned llama.cpp (built by scripts/setup.sh into a cache outside the checkout).
if(NOT OWLET_LLAMA_SRC OR NOT EXISTS "${OWLET_LLAMA_SRC}/include/llama.h")
  message(FATAL_ERROR "OWLET_LLAMA_SRC is not a llama.cpp tree; run scripts/setup.sh")
endif()
if(NOT OWLET_LLAMA_BUILD OR NOT EXISTS "${OWLET_LLAMA_BUILD}/src/libllama.a")
  message(FATAL_ERROR "OWLET_LLAMA_BUILD has no src/libllama.a; run scripts/setup.sh")
endif()
find_package(OpenMP REQUIRED)

set(_lb ${OWLET_LLAMA_BUILD})
add_library(owlet_llama INTERFACE)
target_include_directories(owlet_llama SYSTEM INTERFACE
  ${OWLET_LLAMA_SRC}/include ${OWLET_LLAMA_SRC}/ggml/include ${OWLET_LLAMA_SRC}/common ${OWLET_LLAMA_SRC}/vendor)
# Backends beside the CPU one that setup.sh built into libggml's registry (the RPC
# client always; a GPU backend with OWLET_GPU): each is a static library of its own.
file(GLOB _ggml_extra_backends ${_lb}/ggml/src/ggml-rpc/libggml-rpc.a)
target_link_libraries(owlet_llama INTERFACE
  ${_lb}/common/libllama-common.a ${_lb}/common/libllama-common-base.a
  ${_lb}/src/libllama.a ${_lb}/ggml/src/libggml.a ${_ggml_extra_backends} ${_lb}/ggml/src/libggml-cpu.a
  ${_lb}/ggml/src/libggml-base.a
  OpenMP::OpenMP_CXX Threads::Threads ${CMAKE_DL_LIBS} m)

# Tools the benchmarks compare against, and the tokenizer files the fixture models borrow.
set(OWLET_LLAMA_BIN ${_lb}/bin)
set(OWLET_LLAMA_VOCAB_DIR ${OWLET_LLAMA_SRC}/models)
