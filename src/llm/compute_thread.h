// ComputeThread: one thread that runs a context's graph computations for whoever
// asks, so they always start from the same thread.
//
// ggml's CPU backend (built with OpenMP, llama.cpp's default) runs each graph in an
// OpenMP parallel region, and libgomp keeps a team of worker threads for every thread
// that has started one. A context used from many threads (HTTP workers, ingest
// threads) leaves a team behind on each; once the process's OpenMP threads outnumber
// its CPUs, libgomp stops spinning at barriers and every model's decoding slows down
// (5-10 % measured; docs/BENCHMARKS.md, engine section).
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace owlet::llm {

class ComputeThread {
 public:
  ComputeThread();
  ~ComputeThread();
  ComputeThread(const ComputeThread&) = delete;
  ComputeThread& operator=(const ComputeThread&) = delete;

  // Runs f on the thread and returns when it has finished. Callers may come from
  // any thread; they take turns.
  void run(const std::function<void()>& f);

 private:
  void loop();
  std::mutex call_mu_;  // one caller at a time
  std::mutex mu_;
  std::condition_variable cv_;
  const std::function<void()>* task_ = nullptr;
  bool done_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace owlet::llm
