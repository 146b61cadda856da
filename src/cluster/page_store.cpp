#include "cluster/page_store.h"

#include "cluster/keys.h"
#include "obs/metrics.h"

namespace owlet::cluster {

std::optional<web::SharedValue> RedisPageCache::get(const std::string& key) {
  const std::string k = keys::page(key);
  std::vector<Reply> r;
  if (!link_->run({{"GET", k}, {"PTTL", k}}, &r, nullptr) || r[0].type != Reply::Type::string) return std::nullopt;
  if (metrics_) metrics_->inc("owlet_cluster_shared_hits_total", "lookups served by the cluster's Redis tier", {{"cache", "page"}});
  web::SharedValue v;
  v.value = std::move(r[0].str);
  if (r[1].type == Reply::Type::integer && r[1].integer > 0) v.ttl = std::chrono::milliseconds(r[1].integer);
  return v;
}

void RedisPageCache::put(const std::string& key, const std::string& value, std::chrono::seconds ttl) {
  if (ttl.count() <= 0) return;
  Reply r;
  link_->run({"SET", keys::page(key), value, "EX", std::to_string(ttl.count())}, &r, nullptr);
}

}  // namespace owlet::cluster
