#include "cluster/cluster.h"

#include <unistd.h>

#include "cluster/answer_store.h"
#include "cluster/page_store.h"
#include "cluster/rate_store.h"
#include "kb/knowledge_base.h"
#include "obs/metrics.h"
#include "web/http_client.h"
#include "web/knowledge_cache.h"

namespace owlet::cluster {
namespace {

std::string default_replica_id(const Config& cfg) {
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) != 0 || !host[0]) snprintf(host, sizeof host, "owlet");
  return std::string(host) + ":" + std::to_string(cfg.port);
}

}  // namespace

Cluster::~Cluster() {
  if (replicator_) replicator_->stop();
}

std::unique_ptr<Cluster> attach(const Config& cfg, const ClusterParts& parts, const AttachOptions& options, Error* err) {
  if (err) err->clear();
  if (cfg.cluster_redis.empty()) return nullptr;
  RedisUrl url;
  if (!parse_redis_url(cfg.cluster_redis, &url, err)) return nullptr;
  if (url.tls && !RedisLink::tls_supported(err)) return nullptr;
  std::unique_ptr<Cluster> c(new Cluster);
  c->link_ = std::make_shared<RedisLink>(url);
  c->link_->maintain();  // down is fine: logged once, retried in the background
  if (parts.kb) parts.kb->set_shared_answer_cache(std::make_shared<RedisAnswerCache>(c->link_, parts.metrics));
  if (parts.pages) parts.pages->set_shared(std::make_shared<RedisPageCache>(c->link_, parts.metrics));
  if (parts.http) parts.http->set_shared_limits(std::make_shared<RedisLimits>(c->link_));
  if (options.replicate && parts.kb) {
    ReplicatorOptions ro;
    ro.replica_id = options.replica_id.empty() ? default_replica_id(cfg) : options.replica_id;
    c->replicator_ = std::make_unique<Replicator>(c->link_, parts.kb, parts.metrics, ro);
    c->replicator_->start();
  }
  if (parts.metrics) {
    RedisLink* link = c->link_.get();
    parts.metrics->gauge_fn("owlet_cluster_link_up", "1 while the Redis link is up, 0 during an outage",
                            [link] { return link->up() ? 1.0 : 0.0; });
    parts.metrics->gauge_fn("owlet_cluster_link_outages", "Redis outages since start",
                            [link] { return static_cast<double>(link->outages()); });
    if (parts.kb) {
      kb::KnowledgeBase* kb = parts.kb;
      parts.metrics->gauge_fn("owlet_cluster_journal_pending", "local knowledge changes not yet in the cluster stream",
                              [kb] { return static_cast<double>(kb->pending_count()); });
    }
  }
  return c;
}

}  // namespace owlet::cluster
