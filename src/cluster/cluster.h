// owlet past one machine: replicas that share caches and knowledge through
// Redis (`cluster_redis`). The composition root calls attach() once; with the
// key unset it returns nothing and owlet stays a single node, unchanged.
//
// What attach() wires, each through a small interface of the module it serves
// (so kb and web know nothing of Redis):
//   answer cache   kb::SharedAnswerCache    RedisAnswerCache (answer_store.h)
//   page cache     web::SharedStore         RedisPageCache (page_store.h)
//   rate limits    web::SharedLimits        RedisLimits (rate_store.h)
//   knowledge      kb change journal/apply  Replicator (replicator.h)
// and /metrics: link state, outages, journal backlog, replication lag per replica.
#pragma once

#include <memory>
#include <string>

#include "cluster/redis_link.h"
#include "cluster/replicator.h"
#include "common/error.h"
#include "config/config.h"

namespace owlet::kb {
class KnowledgeBase;
}
namespace owlet::web {
class HttpClient;
class KnowledgeCache;
}  // namespace owlet::web
namespace owlet::obs {
class Metrics;
}

namespace owlet::cluster {

struct ClusterParts {
  kb::KnowledgeBase* kb = nullptr;        // shared answer tier; replicated when `replicate`
  web::KnowledgeCache* pages = nullptr;   // shared page tier
  web::HttpClient* http = nullptr;        // shared pacing and back-off
  obs::Metrics* metrics = nullptr;        // may be null (owlet ask)
};

struct AttachOptions {
  bool replicate = true;   // run the replicator (owlet serve); off for one-shot commands
  std::string replica_id;  // "" = hostname:port
};

class Cluster {
 public:
  ~Cluster();  // stops replication; the shared tiers stay usable while kb/web hold them
  RedisLink& link() { return *link_; }
  Replicator* replicator() { return replicator_.get(); }

 private:
  friend std::unique_ptr<Cluster> attach(const Config&, const ClusterParts&, const AttachOptions&, Error*);
  Cluster() = default;
  std::shared_ptr<RedisLink> link_;
  std::unique_ptr<Replicator> replicator_;
};

// nullptr with err->ok() when cfg.cluster_redis is empty; nullptr with a
// bad_request/unsupported error when it cannot be used. Redis being down is
// not an error: the link reconnects in the background.
std::unique_ptr<Cluster> attach(const Config& cfg, const ClusterParts& parts, const AttachOptions& options, Error* err);

}  // namespace owlet::cluster
