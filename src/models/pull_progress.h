// Progress over all blobs of one pull (internal to src/models): throttled to
// about ten reports a second, with a download rate over the last few seconds.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <utility>

#include "models/pull.h"

namespace owlet::models {

class PullProgress {
 public:
  PullProgress(const PullProgressFn& fn, uint64_t total) : fn_(fn), total_(total) {}
  void add(uint64_t n, bool force = false) {
    done_ += n;
    auto now = Clock::now();
    if (!fn_) return;
    if (!force && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    samples_.push_back({now, done_});
    while (samples_.size() > 2 && now - samples_.front().first > std::chrono::seconds(3)) samples_.pop_front();
    double rate = 0;
    if (samples_.size() >= 2) {
      double secs = std::chrono::duration<double>(samples_.back().first - samples_.front().first).count();
      if (secs > 0) rate = static_cast<double>(samples_.back().second - samples_.front().second) / secs;
    }
    fn_(std::min(done_, std::max(total_, done_)), std::max(total_, done_), rate);
  }
  void set_total(uint64_t t) { total_ = t; }
  void flush() { add(0, true); }
  // A resumed download that the server restarts from byte 0 takes back what it had counted.
  void rewind(uint64_t n) { done_ -= std::min(done_, n); }

 private:
  using Clock = std::chrono::steady_clock;
  const PullProgressFn& fn_;
  uint64_t total_ = 0;
  uint64_t done_ = 0;
  Clock::time_point last_{};
  std::deque<std::pair<Clock::time_point, uint64_t>> samples_;
};

}  // namespace owlet::models
