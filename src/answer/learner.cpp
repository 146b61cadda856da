#include "answer/learner.h"

#include "kb/knowledge_base.h"
#include "obs/log.h"

namespace owlet::answer {

Learner::Learner(kb::KnowledgeBase* kb, size_t max_queue) : kb_(kb), max_queue_(max_queue) {
  thread_ = std::thread([this] { run(); });
}

Learner::~Learner() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

bool Learner::learn(kb::Document doc) {
  {
    std::lock_guard lk(mu_);
    if (queue_.size() >= max_queue_) return false;
    queue_.push_back(std::move(doc));
  }
  cv_.notify_one();
  return true;
}

void Learner::wait_idle() {
  std::unique_lock lk(mu_);
  idle_cv_.wait(lk, [&] { return queue_.empty() && !busy_; });
}

size_t Learner::learned() const {
  std::lock_guard lk(mu_);
  return learned_;
}

void Learner::run() {
  std::unique_lock lk(mu_);
  for (;;) {
    cv_.wait(lk, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) break;  // stop_ and nothing left
    kb::Document doc = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lk.unlock();
    kb::AddResult r = kb_->add(doc);
    if (!r.ok()) obs::log(obs::LogLevel::warn, "learning %s: %s", doc.source.c_str(), r.error.message.c_str());
    lk.lock();
    busy_ = false;
    if (r.ok()) ++learned_;
    if (queue_.empty()) idle_cv_.notify_all();
  }
  idle_cv_.notify_all();
}

}  // namespace owlet::answer
