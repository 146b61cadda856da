#include "cluster/replicator.h"

#include <cstdlib>
#include <map>

#include "cluster/answer_store.h"
#include "cluster/keys.h"
#include "kb/knowledge_base.h"
#include "obs/log.h"
#include "obs/metrics.h"

namespace owlet::cluster {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

int64_t unix_ms() {
  return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// "1718000000000-3" -> 1718000000000 (the time Redis added the entry).
int64_t id_ms(const std::string& id) { return std::strtoll(id.c_str(), nullptr, 10); }

int64_t to_i64(const std::string& s) { return std::strtoll(s.c_str(), nullptr, 10); }

// A stream entry's fields as a map (values of repeated names: the last one).
std::map<std::string, std::string> fields_of(const Reply& flat) {
  std::map<std::string, std::string> m;
  for (size_t i = 0; i + 1 < flat.elements.size(); i += 2) m[flat.elements[i].str] = flat.elements[i + 1].str;
  return m;
}

std::vector<std::string> xadd(const kb::Change& c, const std::string& origin) {
  std::vector<std::string> cmd = {"XADD", keys::kChanges, "*", "op", kb::to_string(c.op), "source", c.doc.source,
                                  "origin", origin};
  if (c.op == kb::Change::Op::upsert) {
    const std::pair<const char*, std::string> f[] = {{"title", c.doc.title},
                                                     {"text", c.doc.text},
                                                     {"language", c.doc.language},
                                                     {"kind", c.doc.source_kind},
                                                     {"trust", std::to_string(c.doc.trust)},
                                                     {"fetched_at", std::to_string(c.doc.fetched_at)},
                                                     {"modified_at", std::to_string(c.doc.modified_at)},
                                                     {"hash", c.content_hash}};
    for (const auto& [k, v] : f) {
      cmd.push_back(k);
      cmd.push_back(v);
    }
  }
  return cmd;
}

constexpr int kApplyAttempts = 3;

}  // namespace

Replicator::Replicator(std::shared_ptr<RedisLink> link, kb::KnowledgeBase* kb, obs::Metrics* metrics,
                       ReplicatorOptions options)
    : link_(std::move(link)), kb_(kb), metrics_(metrics), opts_(std::move(options)) {
  status_.applied = kb_->applied_position(keys::kChanges);
}

Replicator::~Replicator() { stop(); }

void Replicator::start() {
  kb_->set_change_listener([this] { wake(); });
  link_->on_reconnect([this] { wake(); });  // publish what was journaled during the outage
  consumer_ = std::thread([this] { consume_loop(); });
  publisher_ = std::thread([this] { publish_loop(); });
}

void Replicator::stop() {
  if (stop_.exchange(true)) return;
  kb_->set_change_listener(nullptr);
  link_->on_reconnect(nullptr);
  cv_.notify_all();
  if (consumer_.joinable()) consumer_.join();
  if (publisher_.joinable()) publisher_.join();
}

void Replicator::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void Replicator::sleep_for(milliseconds d) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, d, [&] { return stop_.load(); });
}

ReplicationStatus Replicator::status() const {
  std::lock_guard lock(status_mu_);
  ReplicationStatus s = status_;
  s.link_up = link_->up();
  return s;
}

void Replicator::consume_loop() {
  std::unique_ptr<RedisConnection> conn;
  while (!stop_) {
    if (!link_->maintain()) {
      conn.reset();
      sleep_for(milliseconds(100));
      continue;
    }
    Error e;
    if (!conn && !(conn = link_->dedicated(opts_.block + milliseconds(2000), &e))) {
      sleep_for(milliseconds(100));
      continue;
    }
    std::string from;
    {
      std::lock_guard lock(status_mu_);
      from = status_.applied.empty() ? "0-0" : status_.applied;
    }
    Reply r;
    if (!conn->run({"XREAD", "COUNT", std::to_string(opts_.batch), "BLOCK", std::to_string(opts_.block.count()),
                    "STREAMS", keys::kChanges, from},
                   &r, &e)) {
      link_->report_failure(e);
      conn.reset();
      continue;
    }
    if (r.is_error()) {  // e.g. the key holds something else: nothing we can apply
      obs::log(obs::LogLevel::warn, "cluster: reading %s: %s", keys::kChanges, r.str.c_str());
      sleep_for(milliseconds(1000));
    } else if (r.type == Reply::Type::array && !r.elements.empty() && r.elements[0].elements.size() == 2) {
      apply_entries(r.elements[0].elements[1]);
    }
    if (Clock::now() - last_report_ >= opts_.report_every) report();
  }
}

void Replicator::apply_entries(const Reply& entries) {
  for (const Reply& entry : entries.elements) {
    if (stop_) return;
    if (entry.elements.size() != 2) continue;
    const std::string& id = entry.elements[0].str;
    auto f = fields_of(entry.elements[1]);
    const kb::LogPosition at{keys::kChanges, id};
    bool ok = false;
    std::string why;
    for (int attempt = 0; attempt < kApplyAttempts && !ok && !stop_; ++attempt) {
      if (attempt) sleep_for(milliseconds(200 * attempt));
      if (f["op"] == "upsert") {
        kb::Document d;
        d.source = f["source"];
        d.title = f["title"];
        d.text = f["text"];
        d.language = f["language"];
        d.source_kind = f["kind"].empty() ? "file" : f["kind"];
        d.trust = std::strtod(f["trust"].c_str(), nullptr);
        d.fetched_at = to_i64(f["fetched_at"]);
        d.modified_at = to_i64(f["modified_at"]);
        kb::AddResult res = kb_->apply(d, at);
        ok = res.ok();
        why = res.error.message;
      } else if (f["op"] == "remove") {
        Error e;
        ok = kb_->apply_remove(f["source"], at, &e);
        why = e.message;
      } else {
        why = "unknown op '" + f["op"] + "'";
        break;
      }
    }
    std::lock_guard lock(status_mu_);
    // A change that cannot be applied is skipped (in memory only: a restart
    // tries it again, unless a later change has recorded a later position).
    status_.applied = id;
    if (ok) {
      status_.applied_total++;
      if (metrics_) metrics_->inc("owlet_cluster_replication_applied_total", "stream entries applied to the local knowledge base");
    } else {
      status_.apply_errors++;
      obs::log(obs::LogLevel::warn, "cluster: skipping stream entry %s (%s): %s", id.c_str(), f["source"].c_str(),
               why.c_str());
      if (metrics_) metrics_->inc("owlet_cluster_replication_apply_errors_total", "stream entries that could not be applied");
    }
  }
}

void Replicator::publish_loop() {
  while (!stop_) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, opts_.journal_poll, [&] { return woken_ || stop_.load(); });
      woken_ = false;
    }
    bool more = true;
    while (more && !stop_ && link_->up())
      if (!publish_some(&more)) break;
  }
}

bool Replicator::publish_some(bool* more) {
  int64_t through = 0;
  std::vector<kb::Change> changes = kb_->pending_changes(16, &through);
  *more = through != 0;
  if (through == 0) return true;
  // Round trips of at most publish_bytes of text each, in order.
  std::vector<std::vector<std::string>> batch;
  size_t bytes = 0;
  auto flush = [&]() -> bool {
    if (batch.empty()) return true;
    std::vector<Reply> replies;
    Error e;
    if (!link_->run(batch, &replies, &e)) return false;
    for (const Reply& r : replies) {
      if (!r.is_error()) continue;
      obs::log(obs::LogLevel::warn, "cluster: publishing to %s: %s (will retry)", keys::kChanges, r.str.c_str());
      return false;
    }
    batch.clear();
    bytes = 0;
    return true;
  };
  for (const kb::Change& c : changes) {
    batch.push_back(xadd(c, opts_.replica_id));
    bytes += c.doc.text.size();
    if (bytes >= opts_.publish_bytes && !flush()) return false;
  }
  if (!flush()) {
    sleep_for(milliseconds(500));
    return false;
  }
  // A removal made by another process on this knowledge base (`owlet kb rm`)
  // has dropped the local answers citing it; the shared ones go now.
  RedisAnswerCache shared(link_, metrics_);
  for (const kb::Change& c : changes)
    if (c.op == kb::Change::Op::remove) shared.drop_citing(c.doc.source);
  Error e;
  if (!kb_->ack_changes(through, &e)) {
    obs::log(obs::LogLevel::warn, "cluster: %s", e.message.c_str());
    return false;
  }
  std::lock_guard lock(status_mu_);
  status_.published_total += changes.size();
  if (metrics_)
    metrics_->inc("owlet_cluster_replication_published_total", "local changes appended to the cluster stream", {},
                  static_cast<double>(changes.size()));
  return true;
}

// Records this replica's position and works out every replica's lag: the age
// of the oldest stream entry it has not applied (0 when it has them all).
void Replicator::report() {
  last_report_ = Clock::now();
  std::string applied;
  {
    std::lock_guard lock(status_mu_);
    applied = status_.applied;
  }
  const int64_t now = unix_ms();
  std::vector<Reply> r;
  if (!link_->run({{"HSET", keys::kReplicas, opts_.replica_id, applied + " " + std::to_string(now)},
                   {"HGETALL", keys::kReplicas}},
                  &r, nullptr) ||
      r[1].type != Reply::Type::array)
    return;
  std::vector<std::pair<std::string, std::string>> replicas;  // id, applied
  for (size_t i = 0; i + 1 < r[1].elements.size(); i += 2) {
    const std::string& value = r[1].elements[i + 1].str;
    const size_t sp = value.find(' ');
    const int64_t seen = sp == std::string::npos ? 0 : to_i64(value.substr(sp + 1));
    if (now - seen > std::chrono::duration_cast<milliseconds>(opts_.forget_replica_after).count()) continue;
    replicas.emplace_back(r[1].elements[i].str, value.substr(0, sp));
  }
  std::vector<std::vector<std::string>> next;
  for (const auto& [id, pos] : replicas)
    next.push_back({"XRANGE", keys::kChanges, pos.empty() ? "-" : "(" + pos, "+", "COUNT", "1"});
  if (next.empty() || !link_->run(next, &r, nullptr)) return;
  for (size_t i = 0; i < replicas.size(); ++i) {
    double lag = 0;
    if (r[i].type == Reply::Type::array && !r[i].elements.empty() && !r[i].elements[0].elements.empty())
      lag = std::max<double>(0, static_cast<double>(now - id_ms(r[i].elements[0].elements[0].str)) / 1000.0);
    if (metrics_)
      metrics_->set("owlet_cluster_replication_lag_seconds",
                    "age of the oldest knowledge change a replica has not applied yet (0 = caught up)",
                    {{"replica", replicas[i].first}}, lag);
    if (replicas[i].first == opts_.replica_id) {
      std::lock_guard lock(status_mu_);
      status_.lag_s = lag;
    }
  }
  const int64_t pending = kb_->pending_count();
  std::lock_guard lock(status_mu_);
  status_.pending = pending;
}

}  // namespace owlet::cluster
