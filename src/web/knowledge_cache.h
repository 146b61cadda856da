// Byte-bounded LRU cache with TTL for fetched pages and search results
// (`knowledge_cache_size`, default 2 GB), shared across requests and threads.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "web/shared_store.h"

namespace owlet::web {

struct KnowledgeCacheOptions {
  std::size_t max_bytes = std::size_t{2} << 30;   // keys + values + per-entry overhead
  std::chrono::seconds default_ttl{24 * 3600};
  // Time source; empty = steady_clock. Tests move time without sleeping.
  std::function<std::chrono::steady_clock::time_point()> clock;
};

struct KnowledgeCacheStats {
  std::uint64_t hits = 0;
  std::uint64_t shared_hits = 0;  // of the hits, those served by the shared tier (then kept locally)
  std::uint64_t misses = 0;     // absent or expired
  std::uint64_t evictions = 0;  // pushed out by the byte bound
  std::uint64_t expirations = 0;
  std::size_t bytes = 0;
  std::size_t entries = 0;
  double hit_rate() const { return hits + misses == 0 ? 0.0 : static_cast<double>(hits) / static_cast<double>(hits + misses); }
};

class KnowledgeCache {
 public:
  using Clock = std::chrono::steady_clock;
  using Value = std::shared_ptr<const std::string>;

  explicit KnowledgeCache(KnowledgeCacheOptions options = {});

  // Stores (or replaces) `key`. ttl 0 = default_ttl. A value larger than the
  // whole cache is not stored (returns false).
  bool put(const std::string& key, std::string value, std::chrono::seconds ttl = std::chrono::seconds(0));
  // The value if present and fresh; a hit moves it to the front of the LRU order.
  // Values are shared, immutable: readers never copy megabytes under the lock.
  Value get(const std::string& key);
  bool erase(const std::string& key);
  void clear();
  // A shared tier behind this one (web/shared_store.h): puts go to both, a local
  // miss asks it. Set before the cache is used.
  void set_shared(std::shared_ptr<SharedStore> shared);
  KnowledgeCacheStats stats() const;

  // Bytes charged per entry on top of key and value (list/map nodes).
  static constexpr std::size_t kEntryOverhead = 96;

 private:
  struct Entry {
    std::string key;
    Value value;
    Clock::time_point expires;
    std::size_t charge;
  };
  using List = std::list<Entry>;

  void remove_locked(List::iterator it);
  bool insert_locked(const std::string& key, Value value, std::chrono::milliseconds ttl);
  std::shared_ptr<SharedStore> shared() const;
  Clock::time_point now() const { return opts_.clock ? opts_.clock() : Clock::now(); }

  KnowledgeCacheOptions opts_;
  mutable std::mutex mu_;
  List lru_;  // front = most recently used
  std::unordered_map<std::string, List::iterator> index_;
  KnowledgeCacheStats stats_;
  std::shared_ptr<SharedStore> shared_;  // mu_
};

}  // namespace owlet::web
