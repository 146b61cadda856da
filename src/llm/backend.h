// One-time llama.cpp backend setup, and the bridge from llama.cpp's log to ours.
//
// llama.cpp reports why a load failed only through its log callback, so the
// bridge keeps the error lines of the current thread; load functions collect
// them to build a one-line reason.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace owlet::llm {

// Idempotent and thread-safe. Routes llama.cpp logs to obs::log at debug level.
void backend_init();

// Error-level llama.cpp log text emitted on this thread since the last call.
std::string take_llama_errors();

// Memory of each accelerator ggml can use (discrete and integrated GPUs; none
// in a CPU-only build).
struct AcceleratorMemory {
  std::string name;
  std::string description;  // the device's own, e.g. "NVIDIA H200"
  bool integrated = false;
  uint64_t free_bytes = 0;
  uint64_t total_bytes = 0;
};
std::vector<AcceleratorMemory> accelerator_memory();

// What ggml's CPU backend was compiled to use: "CPU : SSE3 = 1 | AVX = 1 | …".
std::string system_info();

}  // namespace owlet::llm
