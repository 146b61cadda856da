// Knowledge replication through a Redis Stream.
//
// Publisher: local changes are journaled by the knowledge base in the same
// transaction as the change (kb/change_log.h); this thread appends them to the
// stream (XADD, the whole document with its text and metadata) and then
// acknowledges them. A crash in between publishes them again on restart, which
// is harmless: applying is idempotent by content hash.
//
// Consumer: reads the stream from the position this replica's database last
// recorded (XREAD BLOCK) and applies each entry to the local knowledge base,
// recording the entry id in the same transaction as the change. A new replica
// starts at the beginning and so catches up on everything ingested through the
// cluster; one that was down or cut off resumes where it stopped. The consumer
// thread also keeps the Redis link alive (reconnects with backoff) and reports
// this replica's position, from which every replica derives the cluster's
// replication lag for /metrics.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "cluster/redis_link.h"

namespace owlet::kb {
class KnowledgeBase;
}
namespace owlet::obs {
class Metrics;
}

namespace owlet::cluster {

struct ReplicatorOptions {
  std::string replica_id;                       // this replica's name in the position report
  size_t batch = 64;                            // stream entries read per XREAD
  size_t publish_bytes = 8u << 20;              // text published per round trip, about
  std::chrono::milliseconds block{500};         // XREAD BLOCK
  std::chrono::milliseconds journal_poll{500};  // other processes (owlet ingest) journal too
  std::chrono::milliseconds report_every{1000};
  std::chrono::seconds forget_replica_after{600};  // stale replicas leave the lag metric
};

struct ReplicationStatus {
  bool link_up = false;
  std::string applied;   // last stream id applied here ("" = none yet)
  double lag_s = 0;      // age of the oldest entry not yet applied here (0 = caught up)
  int64_t pending = 0;   // local changes not yet published
  uint64_t applied_total = 0, published_total = 0, apply_errors = 0;
};

class Replicator {
 public:
  Replicator(std::shared_ptr<RedisLink> link, kb::KnowledgeBase* kb, obs::Metrics* metrics, ReplicatorOptions options);
  ~Replicator();  // stops both threads
  Replicator(const Replicator&) = delete;
  Replicator& operator=(const Replicator&) = delete;

  void start();
  void stop();
  // A local change was journaled: publish now rather than at the next poll.
  void wake();
  ReplicationStatus status() const;

 private:
  void consume_loop();
  void publish_loop();
  bool publish_some(bool* more);
  void apply_entries(const Reply& entries);
  void report();
  void sleep_for(std::chrono::milliseconds d);

  std::shared_ptr<RedisLink> link_;
  kb::KnowledgeBase* kb_;
  obs::Metrics* metrics_;
  ReplicatorOptions opts_;
  std::atomic<bool> stop_{false};
  std::thread consumer_, publisher_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;  // mu_
  mutable std::mutex status_mu_;
  ReplicationStatus status_;  // status_mu_
  std::chrono::steady_clock::time_point last_report_{};
};

}  // namespace owlet::cluster
