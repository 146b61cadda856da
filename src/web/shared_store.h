// A second tier behind the in-process KnowledgeCache, shared by several owlet
// replicas (e.g. Redis): a page one replica fetched is not fetched again by the
// next. Every call is best effort: an unreachable store is a miss, never an error.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace owlet::web {

struct SharedValue {
  std::string value;
  std::chrono::milliseconds ttl{0};  // time left; 0 = unknown (the local default applies)
};

class SharedStore {
 public:
  virtual ~SharedStore() = default;
  virtual std::optional<SharedValue> get(const std::string& key) = 0;
  // Stores `value` under `key`, expiring after `ttl` (the store's own expiry).
  virtual void put(const std::string& key, const std::string& value, std::chrono::seconds ttl) = 0;
};

}  // namespace owlet::web
