// The knowledge cache's shared tier on Redis (web/shared_store.h): fetched pages
// (extracted text and metadata) under their cache key, with Redis's own expiry.
#pragma once

#include <memory>

#include "cluster/redis_link.h"
#include "web/shared_store.h"

namespace owlet::obs {
class Metrics;
}

namespace owlet::cluster {

class RedisPageCache : public web::SharedStore {
 public:
  RedisPageCache(std::shared_ptr<RedisLink> link, obs::Metrics* metrics) : link_(std::move(link)), metrics_(metrics) {}
  std::optional<web::SharedValue> get(const std::string& key) override;
  void put(const std::string& key, const std::string& value, std::chrono::seconds ttl) override;

 private:
  std::shared_ptr<RedisLink> link_;
  obs::Metrics* metrics_;
};

}  // namespace owlet::cluster
