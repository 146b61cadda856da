#include "web/knowledge_cache.h"

namespace owlet::web {

KnowledgeCache::KnowledgeCache(KnowledgeCacheOptions options) : opts_(options) {}

void KnowledgeCache::remove_locked(List::iterator it) {
  stats_.bytes -= it->charge;
  index_.erase(it->key);
  lru_.erase(it);
  stats_.entries = index_.size();
}

void KnowledgeCache::set_shared(std::shared_ptr<SharedStore> shared) {
  std::lock_guard<std::mutex> lock(mu_);
  shared_ = std::move(shared);
}

std::shared_ptr<SharedStore> KnowledgeCache::shared() const {
  std::lock_guard<std::mutex> lock(mu_);
  return shared_;
}

bool KnowledgeCache::put(const std::string& key, std::string value, std::chrono::seconds ttl) {
  if (ttl.count() <= 0) ttl = opts_.default_ttl;
  if (auto s = shared()) s->put(key, value, ttl);
  auto v = std::make_shared<const std::string>(std::move(value));
  std::lock_guard<std::mutex> lock(mu_);
  return insert_locked(key, std::move(v), ttl);
}

bool KnowledgeCache::insert_locked(const std::string& key, Value value, std::chrono::milliseconds ttl) {
  std::size_t charge = key.size() + value->size() + kEntryOverhead;
  if (auto it = index_.find(key); it != index_.end()) remove_locked(it->second);
  if (charge > opts_.max_bytes) return false;
  // Evict from the cold end until the new entry fits.
  while (stats_.bytes + charge > opts_.max_bytes && !lru_.empty()) {
    remove_locked(std::prev(lru_.end()));
    stats_.evictions++;
  }
  lru_.push_front(Entry{key, std::move(value), now() + ttl, charge});
  index_[key] = lru_.begin();
  stats_.bytes += charge;
  stats_.entries = index_.size();
  return true;
}

KnowledgeCache::Value KnowledgeCache::get(const std::string& key) {
  std::shared_ptr<SharedStore> tier;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = index_.find(key);
    if (it != index_.end() && it->second->expires <= now()) {
      remove_locked(it->second);
      stats_.expirations++;
      it = index_.end();
    }
    if (it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      stats_.hits++;
      return lru_.front().value;
    }
    tier = shared_;
    if (!tier) {
      stats_.misses++;
      return nullptr;
    }
  }
  // Not held here: ask the shared tier without holding the lock.
  std::optional<SharedValue> v = tier->get(key);
  std::lock_guard<std::mutex> lock(mu_);
  if (!v) {
    stats_.misses++;
    return nullptr;
  }
  stats_.hits++;
  stats_.shared_hits++;
  auto value = std::make_shared<const std::string>(std::move(v->value));
  insert_locked(key, value, v->ttl.count() > 0 ? v->ttl : std::chrono::milliseconds(opts_.default_ttl));
  return value;
}

bool KnowledgeCache::erase(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) return false;
  remove_locked(it->second);
  return true;
}

void KnowledgeCache::clear() {
  std::lock_guard<std::mutex> lock(mu_);
  lru_.clear();
  index_.clear();
  stats_.bytes = 0;
  stats_.entries = 0;
}

KnowledgeCacheStats KnowledgeCache::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace owlet::web
