#include "cluster/redis_link.h"

#include <hiredis/hiredis.h>
#if OWLET_HIREDIS_SSL
#include <hiredis/hiredis_ssl.h>
#endif

#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "obs/log.h"

namespace owlet::cluster {
namespace {

using Clock = std::chrono::steady_clock;

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv;
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

Reply copy_reply(const redisReply* r) {
  Reply out;
  if (!r) return out;
  switch (r->type) {
    case REDIS_REPLY_STRING: out.type = Reply::Type::string; break;
    case REDIS_REPLY_STATUS: out.type = Reply::Type::status; break;
    case REDIS_REPLY_ERROR: out.type = Reply::Type::error; break;
    case REDIS_REPLY_INTEGER: out.type = Reply::Type::integer; break;
    case REDIS_REPLY_ARRAY: out.type = Reply::Type::array; break;
    default: out.type = Reply::Type::nil; break;
  }
  if (out.type == Reply::Type::string || out.type == Reply::Type::status || out.type == Reply::Type::error)
    out.str.assign(r->str, r->len);
  out.integer = r->integer;
  if (out.type == Reply::Type::array) {
    out.elements.reserve(r->elements);
    for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(copy_reply(r->element[i]));
  }
  return out;
}

std::string context_error(const redisContext* c, const char* what) {
  return std::string(what) + ": " + (c && c->errstr[0] ? c->errstr : "connection lost");
}

#if OWLET_HIREDIS_SSL
// One TLS context for the process, verifying the server against the system CA
// store (or SSL_CERT_FILE / SSL_CERT_DIR, OpenSSL's own variables).
redisSSLContext* tls_context(const std::string& server_name, Error* err) {
  static std::mutex mu;
  static redisSSLContext* ctx = nullptr;
  std::lock_guard lock(mu);
  if (ctx) return ctx;
  static bool inited = (redisInitOpenSSL(), true);
  (void)inited;
  const char* file = getenv("SSL_CERT_FILE");
  const char* dir = getenv("SSL_CERT_DIR");
  if (!file && access("/etc/ssl/certs/ca-certificates.crt", R_OK) == 0) file = "/etc/ssl/certs/ca-certificates.crt";
  if (!dir && access("/etc/ssl/certs", R_OK) == 0) dir = "/etc/ssl/certs";
  redisSSLContextError e = REDIS_SSL_CTX_NONE;
  ctx = redisCreateSSLContext(file, dir, nullptr, nullptr, server_name.c_str(), &e);
  if (!ctx) fail(err, ErrorKind::tls, std::string("TLS context: ") + redisSSLContextGetError(e));
  return ctx;
}
#endif

}  // namespace

bool RedisLink::tls_supported(Error* why) {
#if OWLET_HIREDIS_SSL
  (void)why;
  return true;
#else
  return fail(why, ErrorKind::unsupported,
              "cluster_redis: rediss:// needs hiredis >= 1.0 with its SSL library; this owlet was built with hiredis " +
                  std::to_string(HIREDIS_MAJOR) + "." + std::to_string(HIREDIS_MINOR) +
                  " (use redis:// on a trusted network, or a TLS tunnel such as stunnel)");
#endif
}

std::unique_ptr<RedisConnection> RedisConnection::open(const RedisUrl& url, std::chrono::milliseconds connect_timeout,
                                                       std::chrono::milliseconds command_timeout, Error* err) {
  if (url.tls && !RedisLink::tls_supported(err)) return nullptr;
  std::unique_ptr<RedisConnection> c(new RedisConnection);
  c->ctx_ = redisConnectWithTimeout(url.host.c_str(), url.port, to_timeval(connect_timeout));
  if (!c->ctx_ || c->ctx_->err) {
    fail(err, ErrorKind::network, context_error(c->ctx_, "connect"));
    return nullptr;
  }
  redisSetTimeout(c->ctx_, to_timeval(command_timeout));
  redisEnableKeepAlive(c->ctx_);
#if OWLET_HIREDIS_SSL
  if (url.tls) {
    redisSSLContext* tls = tls_context(url.host, err);
    if (!tls) return nullptr;
    if (redisInitiateSSLWithContext(c->ctx_, tls) != REDIS_OK) {
      fail(err, ErrorKind::tls, context_error(c->ctx_, "TLS handshake"));
      return nullptr;
    }
  }
#endif
  std::vector<std::vector<std::string>> setup;
  if (!url.password.empty()) {
    if (url.user.empty()) setup.push_back({"AUTH", url.password});
    else setup.push_back({"AUTH", url.user, url.password});
  }
  if (url.db != 0) setup.push_back({"SELECT", std::to_string(url.db)});
  if (setup.empty()) setup.push_back({"PING"});
  std::vector<Reply> replies;
  if (!c->run(setup, &replies, err)) return nullptr;
  for (const Reply& r : replies) {
    if (!r.is_error()) continue;
    // AUTH's error names no secret; pass it on ("WRONGPASS invalid username-password pair").
    fail(err, r.str.rfind("NOAUTH", 0) == 0 || r.str.rfind("WRONGPASS", 0) == 0 ? ErrorKind::forbidden
                                                                                 : ErrorKind::bad_request,
         r.str);
    return nullptr;
  }
  return c;
}

RedisConnection::~RedisConnection() {
  if (ctx_) redisFree(ctx_);
}

bool RedisConnection::run(const std::vector<std::vector<std::string>>& commands, std::vector<Reply>* replies,
                          Error* err) {
  replies->clear();
  if (ctx_->err) return fail(err, ErrorKind::network, context_error(ctx_, "redis"));
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& cmd : commands) {
    argv.clear();
    lens.clear();
    for (const auto& a : cmd) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    if (redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data()) != REDIS_OK)
      return fail(err, ErrorKind::network, context_error(ctx_, "redis"));
  }
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK || !raw) {
      return fail(err, ctx_->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK) ? ErrorKind::timeout
                                                                                               : ErrorKind::network,
                  context_error(ctx_, "redis"));
    }
    replies->push_back(copy_reply(static_cast<redisReply*>(raw)));
    freeReplyObject(raw);
  }
  return true;
}

bool RedisConnection::run(const std::vector<std::string>& command, Reply* reply, Error* err) {
  std::vector<Reply> replies;
  if (!run(std::vector<std::vector<std::string>>{command}, &replies, err)) return false;
  *reply = std::move(replies.front());
  return true;
}

RedisLink::RedisLink(RedisUrl url, LinkOptions options) : url_(std::move(url)), opts_(options) {
  // hiredis writes with write(2): a Redis that went away mid-command would raise
  // SIGPIPE and kill the process. The server ignores it anyway; one-shot
  // commands (owlet ask) and tools get the same here, unless a handler is set.
  struct sigaction old {};
  if (sigaction(SIGPIPE, nullptr, &old) == 0 && old.sa_handler == SIG_DFL) signal(SIGPIPE, SIG_IGN);
}

RedisLink::~RedisLink() = default;

void RedisLink::on_reconnect(std::function<void()> fn) {
  std::lock_guard lock(mu_);
  on_reconnect_ = std::move(fn);
}

std::unique_ptr<RedisConnection> RedisLink::take(Error* err) {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
  }
  return RedisConnection::open(url_, opts_.connect_timeout, opts_.command_timeout, err);
}

void RedisLink::give_back(std::unique_ptr<RedisConnection> c) {
  std::lock_guard lock(mu_);
  if (up() && idle_.size() < opts_.max_idle) idle_.push_back(std::move(c));
}

bool RedisLink::run(const std::vector<std::vector<std::string>>& commands, std::vector<Reply>* replies, Error* err) {
  if (!up()) return fail(err, ErrorKind::unavailable, "Redis link is down");
  Error e;
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto c = take(&e);
    if (!c) break;  // cannot even connect: down
    if (c->run(commands, replies, &e)) {
      give_back(std::move(c));
      return true;
    }
    if (e.kind == ErrorKind::timeout) break;  // Redis hangs: a fresh connection would too
  }
  mark_down(e);
  return fail(err, ErrorKind::unavailable, "Redis link went down: " + e.message);
}

bool RedisLink::run(const std::vector<std::string>& command, Reply* reply, Error* err) {
  std::vector<Reply> replies;
  if (!run(std::vector<std::vector<std::string>>{command}, &replies, err)) return false;
  *reply = std::move(replies.front());
  return true;
}

void RedisLink::mark_down(const Error& e) {
  std::lock_guard lock(mu_);
  idle_.clear();
  const bool was_up = up_.exchange(false);
  if (was_up || !down_logged_) {
    outages_++;
    down_since_ = Clock::now();
    backoff_ = opts_.min_backoff;
    next_attempt_ = down_since_ + backoff_;
    down_logged_ = true;
    obs::log(obs::LogLevel::warn,
             "cluster: Redis at %s is unreachable (%s); answering from local state, reconnecting in the background",
             name().c_str(), e.message.c_str());
  }
}

void RedisLink::report_failure(const Error& e) { mark_down(e); }

bool RedisLink::maintain() {
  if (up()) return true;
  {
    std::lock_guard lock(mu_);
    if (down_logged_ && Clock::now() < next_attempt_) return false;
  }
  Error e;
  auto c = RedisConnection::open(url_, opts_.connect_timeout, opts_.command_timeout, &e);
  if (!c) {
    mark_down(e);  // logs only for the first failure of an outage
    std::lock_guard lock(mu_);
    backoff_ = std::min(opts_.max_backoff, std::max(opts_.min_backoff, backoff_ * 2));
    next_attempt_ = Clock::now() + backoff_;
    return false;
  }
  std::function<void()> notify;
  {
    std::lock_guard lock(mu_);
    idle_.push_back(std::move(c));
    up_.store(true, std::memory_order_release);
    if (down_logged_) {
      const double s = std::chrono::duration<double>(Clock::now() - down_since_).count();
      obs::log(obs::LogLevel::info, "cluster: Redis at %s is reachable again after %.1f s; catching up", name().c_str(), s);
      notify = on_reconnect_;
    } else if (!ever_up_) {
      obs::log(obs::LogLevel::info, "cluster: connected to Redis at %s", name().c_str());
    }
    ever_up_ = true;
    down_logged_ = false;
  }
  if (notify) notify();
  return true;
}

std::unique_ptr<RedisConnection> RedisLink::dedicated(std::chrono::milliseconds command_timeout, Error* err) {
  if (!up()) {
    fail(err, ErrorKind::unavailable, "Redis link is down");
    return nullptr;
  }
  auto c = RedisConnection::open(url_, opts_.connect_timeout, command_timeout, err);
  if (!c) mark_down(err ? *err : Error(ErrorKind::network, "connect"));
  return c;
}

}  // namespace owlet::cluster
