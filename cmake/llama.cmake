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
# ggml backends built beside the CPU one. libggml.a registers every backend it was
# configured with (GGML_USE_RPC, GGML_USE_CUDA...), so each archive that exists
# must be linked, between libggml.a and libggml-base.a: RPC (setup.sh always
# builds it) and, with OWLET_GPU, the GPU backend with its system libraries; the
# CPU backend last of them (a GPU backend may call into it).
set(_ggml_backends)
set(_ggml_system_libs)
if(EXISTS ${_lb}/ggml/src/ggml-rpc/libggml-rpc.a)
  list(APPEND _ggml_backends ${_lb}/ggml/src/ggml-rpc/libggml-rpc.a)
  # Where the build machine has libibverbs, ggml's RPC backend adds an RDMA transport that needs it.
  file(STRINGS ${_lb}/CMakeCache.txt _rdma REGEX "^(GGML_RPC_RDMA:BOOL|RDMA_LIB:FILEPATH)=")
  if("GGML_RPC_RDMA:BOOL=ON" IN_LIST _rdma)
    list(FILTER _rdma INCLUDE REGEX "^RDMA_LIB:FILEPATH=")
    string(REPLACE "RDMA_LIB:FILEPATH=" "" _rdma "${_rdma}")
    list(APPEND _ggml_system_libs ${_rdma})
  endif()
endif()
if(EXISTS ${_lb}/ggml/src/ggml-cuda/libggml-cuda.a)
  find_package(CUDAToolkit REQUIRED)
  list(APPEND _ggml_backends ${_lb}/ggml/src/ggml-cuda/libggml-cuda.a)
  list(APPEND _ggml_system_libs CUDA::cudart CUDA::cublas CUDA::cublasLt CUDA::cuda_driver)
  if(TARGET CUDA::nccl)
    list(APPEND _ggml_system_libs CUDA::nccl)
  endif()
endif()
if(EXISTS ${_lb}/ggml/src/ggml-vulkan/libggml-vulkan.a)
  find_package(Vulkan REQUIRED)
  list(APPEND _ggml_backends ${_lb}/ggml/src/ggml-vulkan/libggml-vulkan.a)
  list(APPEND _ggml_system_libs Vulkan::Vulkan)
endif()
if(EXISTS ${_lb}/ggml/src/ggml-hip/libggml-hip.a)
  find_package(hip REQUIRED)
  find_package(hipblas REQUIRED)
  find_package(rocblas REQUIRED)
  list(APPEND _ggml_backends ${_lb}/ggml/src/ggml-hip/libggml-hip.a)
  list(APPEND _ggml_system_libs hip::host roc::rocblas roc::hipblas)
endif()

list(APPEND _ggml_backends ${_lb}/ggml/src/libggml-cpu.a)

target_link_libraries(owlet_llama INTERFACE
  ${_lb}/common/libllama-common.a ${_lb}/common/libllama-common-base.a
  ${_lb}/src/libllama.a ${_lb}/ggml/src/libggml.a ${_ggml_backends} ${_lb}/ggml/src/libggml-base.a
  ${_ggml_system_libs} OpenMP::OpenMP_CXX Threads::Threads ${CMAKE_DL_LIBS} m)

# Tools the benchmarks compare against (and ggml-rpc-server), and the tokenizer files the fixture models borrow.
set(OWLET_LLAMA_BIN ${_lb}/bin)
set(OWLET_LLAMA_VOCAB_DIR ${OWLET_LLAMA_SRC}/models)
