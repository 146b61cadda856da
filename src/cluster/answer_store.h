// The answer cache's shared tier on Redis (kb/shared_answer_cache.h): one JSON
// value per normalized question, with Redis's own expiry set from the answer's
// expires_at (the router's freshness class decided it), and per cited source a
// set of the answer keys citing it, so a document's removal or replacement
// drops them on every replica at once.
#pragma once

#include <memory>

#include "cluster/redis_link.h"
#include "kb/shared_answer_cache.h"

namespace owlet::obs {
class Metrics;
}

namespace owlet::cluster {

class RedisAnswerCache : public kb::SharedAnswerCache {
 public:
  RedisAnswerCache(std::shared_ptr<RedisLink> link, obs::Metrics* metrics) : link_(std::move(link)), metrics_(metrics) {}
  std::optional<kb::CachedAnswer> get(const std::string& key) override;
  void put(const std::string& key, const kb::CachedAnswer& entry) override;
  int64_t drop_citing(const std::string& source) override;
  int64_t clear() override;

 private:
  std::shared_ptr<RedisLink> link_;
  obs::Metrics* metrics_;
};

}  // namespace owlet::cluster
