// Knowledge growth: pages fetched for an answer are stored in the knowledge
// base on a background thread (cold archive + chunks + vectors), with their
// fetch time, so the next asker is served locally, and offline later.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "kb/document.h"

namespace owlet::kb {
class KnowledgeBase;
}

namespace owlet::answer {

class Learner {
 public:
  explicit Learner(kb::KnowledgeBase* kb, size_t max_queue = 256);
  ~Learner();  // stores what is queued, then stops
  // Queues a document; dropped (false) when the queue is full, so answering never waits on learning.
  bool learn(kb::Document doc);
  void wait_idle();
  size_t learned() const;

 private:
  void run();
  kb::KnowledgeBase* kb_;
  size_t max_queue_;
  mutable std::mutex mu_;
  std::condition_variable cv_, idle_cv_;
  std::deque<kb::Document> queue_;
  bool busy_ = false, stop_ = false;
  size_t learned_ = 0;
  std::thread thread_;
};

}  // namespace owlet::answer
