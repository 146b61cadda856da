#include "llm/compute_thread.h"

namespace owlet::llm {

ComputeThread::ComputeThread() : thread_([this] { loop(); }) {}

ComputeThread::~ComputeThread() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void ComputeThread::run(const std::function<void()>& f) {
  std::lock_guard<std::mutex> call(call_mu_);
  std::unique_lock<std::mutex> lk(mu_);
  task_ = &f;
  done_ = false;
  cv_.notify_all();
  cv_.wait(lk, [&] { return done_; });
}

void ComputeThread::loop() {
  std::unique_lock<std::mutex> lk(mu_);
  while (true) {
    cv_.wait(lk, [&] { return stopping_ || task_ != nullptr; });
    if (stopping_) return;
    const std::function<void()>* f = task_;
    lk.unlock();
    (*f)();
    lk.lock();
    task_ = nullptr;
    done_ = true;
    cv_.notify_all();
  }
}

}  // namespace owlet::llm
