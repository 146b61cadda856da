#include "web/knowledge_cache.h"

namespace owlet::web {

KnowledgeCache::KnowledgeCache(KnowledgeCacheOptions options) : opts_(options) {}

void KnowledgeCache::remove_locked(List::iterator it) {
  stats_.bytes -= it->charge;
  index_.erase(it->key);
  lru_.erase(it);
  stats_.entries = index_.size();
}

bool KnowledgeCache::put(const std::string& key, std::string value, std::chrono::seconds ttl) {
  std::size_t charge = key.size() + value.size() + kEntryOverhead;
  if (ttl.count() <= 0) ttl = opts_.default_ttl;
  auto shared = std::make_shared<const std::string>(std::move(value));
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = index_.find(key); it != index_.end()) remove_locked(it->second);
  if (charge > opts_.max_bytes) return false;
  // Evict from the cold end until the new entry fits.
  while (stats_.bytes + charge > opts_.max_bytes && !lru_.empty()) {
    remove_locked(std::prev(lru_.end()));
    stats_.evictions++;
  }
  lru_.push_front(Entry{key, std::move(shared), now() + ttl, charge});
  index_[key] = lru_.begin();
  stats_.bytes += charge;
  stats_.entries = index_.size();
  return true;
}

KnowledgeCache::Value KnowledgeCache::get(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) {
    stats_.misses++;
    return nullptr;
  }
  if (it->second->expires <= now()) {
    remove_locked(it->second);
    stats_.expirations++;
    stats_.misses++;
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  stats_.hits++;
  return lru_.front().value;
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
