// A second answer-cache tier shared by several knowledge bases (replicas),
// e.g. Redis. The knowledge base keeps its own SQLite answer cache in front:
// a local miss asks the shared tier, and a shared hit is copied locally. Every
// call is best effort: a shared tier that cannot be reached is a miss, never an
// error.
//
// Invalidation follows the local tier: removing or replacing a document drops
// the shared answers citing it (drop_citing), and a replica applying that change
// from the cluster's stream drops its own local copies. Answers that found
// nothing are never shared: their validity is one knowledge base's version.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kb/answer_cache.h"

namespace owlet::kb {

// The shared tier's key of an answer: its normalized question and its variant
// (model, engine, options; answer_cache.h), as the local table's primary key.
std::string shared_answer_key(std::string_view question, std::string_view variant);

class SharedAnswerCache {
 public:
  virtual ~SharedAnswerCache() = default;
  // The entry under `key` (the normalized question and the answer's variant), if present.
  virtual std::optional<CachedAnswer> get(const std::string& key) = 0;
  // Stores `entry` under `key` until entry.expires_at (0 = no expiry), indexed by its cites.
  virtual void put(const std::string& key, const CachedAnswer& entry) = 0;
  // Drops every entry citing `source`; how many (-1 when the tier cannot be reached).
  virtual int64_t drop_citing(const std::string& source) = 0;
  // Drops every entry; how many (-1 when the tier cannot be reached).
  virtual int64_t clear() = 0;
};

}  // namespace owlet::kb
