// A second answer-cache tier shared by several knowledge bases (replicas),
// e.g. Redis. The knowledge base keeps its own SQLite answer cache in front:
// a local miss asks the shared tier, and a shared hit is copied locally. Every
// call is best effort: a shared tier that cannot be reached is a miss, never an
// error.
#pragma once

#include <optional>
#include <string>

#include "kb/answer_cache.h"

namespace owlet::kb {

class SharedAnswerCache {
 public:
  virtual ~SharedAnswerCache() = default;
  // The entry under `key` (the normalized question and the answer's variant), if present.
  virtual std::optional<CachedAnswer> get(const std::string& key) = 0;
  // Stores `entry` under `key` until entry.expires_at (0 = no expiry).
  virtual void put(const std::string& key, const CachedAnswer& entry) = 0;
};

}  // namespace owlet::kb
