// The cluster's connection to Redis (hiredis underneath): a small pool of
// connections for request threads, dedicated connections for blocking stream
// reads, and the link state the rest of the cluster code keys off.
//
// Redis being down must never fail or stall a request, so a request thread
// never connects: while the link is down, run() answers `unavailable` at once
// and the caller serves from local state. One background thread (the
// replicator) calls maintain(), which reconnects with exponential backoff.
// Each outage is logged once when it starts and once when it ends.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cluster/redis_url.h"
#include "common/error.h"

struct redisContext;

namespace owlet::cluster {

// A reply, copied out of hiredis.
struct Reply {
  enum class Type { nil, string, integer, array, status, error };
  Type type = Type::nil;
  std::string str;       // string, status, error
  long long integer = 0;
  std::vector<Reply> elements;

  bool is_nil() const { return type == Type::nil; }
  bool is_error() const { return type == Type::error; }
};

struct LinkOptions {
  std::chrono::milliseconds connect_timeout{500};
  std::chrono::milliseconds command_timeout{1000};
  std::chrono::milliseconds min_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
  size_t max_idle = 8;  // pooled connections kept open
};

// One connection; not thread-safe. Authenticates and selects the database on open.
class RedisConnection {
 public:
  static std::unique_ptr<RedisConnection> open(const RedisUrl& url, std::chrono::milliseconds connect_timeout,
                                               std::chrono::milliseconds command_timeout, Error* err);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Sends the commands in one round trip (pipelined) and reads every reply. A
  // Redis error reply is a Reply of Type::error, not a failure; false (network)
  // means the connection is broken and must be dropped.
  bool run(const std::vector<std::vector<std::string>>& commands, std::vector<Reply>* replies, Error* err);
  bool run(const std::vector<std::string>& command, Reply* reply, Error* err);

 private:
  RedisConnection() = default;
  redisContext* ctx_ = nullptr;
};

class RedisLink {
 public:
  RedisLink(RedisUrl url, LinkOptions options = {});
  ~RedisLink();
  RedisLink(const RedisLink&) = delete;
  RedisLink& operator=(const RedisLink&) = delete;

  // Runs commands on a pooled connection (one round trip). Any failure is
  // `unavailable` (the link is down, or went down during this call); a stale
  // pooled connection (Redis restarted) is retried once on a fresh one first.
  bool run(const std::vector<std::vector<std::string>>& commands, std::vector<Reply>* replies, Error* err);
  bool run(const std::vector<std::string>& command, Reply* reply, Error* err);

  bool up() const { return up_.load(std::memory_order_acquire); }
  // When down and the backoff has passed: tries to reconnect. True when up.
  bool maintain();
  // A connection of its own for blocking commands (XREAD BLOCK); nullptr when down.
  std::unique_ptr<RedisConnection> dedicated(std::chrono::milliseconds command_timeout, Error* err);
  // A dedicated connection failed: the link is down (logged once per outage).
  void report_failure(const Error& e);
  // Called with true after every reconnect (not on the first connect).
  void on_reconnect(std::function<void()> fn);

  uint64_t outages() const { return outages_.load(); }
  // Whether this build can speak rediss:// (hiredis >= 1.0 with SSL); false with *why.
  static bool tls_supported(Error* why);
  const RedisUrl& url() const { return url_; }
  std::string name() const { return redacted(url_); }

 private:
  std::unique_ptr<RedisConnection> take(Error* err);
  void give_back(std::unique_ptr<RedisConnection> c);
  void mark_down(const Error& e);

  RedisUrl url_;
  LinkOptions opts_;
  std::atomic<bool> up_{false};
  std::atomic<uint64_t> outages_{0};
  std::mutex mu_;  // pool and reconnect state
  std::vector<std::unique_ptr<RedisConnection>> idle_;
  bool ever_up_ = false;
  bool down_logged_ = false;
  std::chrono::steady_clock::time_point down_since_{};
  std::chrono::steady_clock::time_point next_attempt_{};
  std::chrono::milliseconds backoff_{0};
  std::function<void()> on_reconnect_;
};

}  // namespace owlet::cluster
