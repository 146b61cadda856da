// Hands generated text from the engine thread to the HTTP thread that streams
// it to the client, and the final Completion after it.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>

#include "llm/engine.h"

namespace owlet::server {

class TokenStream {
 public:
  void push(std::string_view text) {
    {
      std::lock_guard<std::mutex> lk(mu_);
      chunks_.emplace_back(text);
    }
    cv_.notify_one();
  }
  void finish(llm::Completion c) {
    {
      std::lock_guard<std::mutex> lk(mu_);
      done_ = true;
      result_ = std::move(c);
    }
    cv_.notify_one();
  }
  // Waits up to ms for text or the end. Moves pending text into *out; true once finished and drained.
  bool next(std::string* out, int ms) {
    std::unique_lock<std::mutex> lk(mu_);
    cv_.wait_for(lk, std::chrono::milliseconds(ms), [&] { return done_ || !chunks_.empty(); });
    out->clear();
    while (!chunks_.empty()) {
      *out += chunks_.front();
      chunks_.pop_front();
    }
    return done_ && out->empty();
  }
  llm::Completion result() {
    std::lock_guard<std::mutex> lk(mu_);
    return result_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> chunks_;
  bool done_ = false;
  llm::Completion result_;
};

}  // namespace owlet::server
