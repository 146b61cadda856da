#include "cluster/rate_store.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "cluster/keys.h"

namespace owlet::cluster {
namespace {

using std::chrono::milliseconds;

long long unix_ms(web::SharedLimits::TimePoint t) {
  return std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
}
web::SharedLimits::TimePoint from_unix_ms(long long ms) { return web::SharedLimits::TimePoint(milliseconds(ms)); }

// Sets the key to ARGV[1] (expiring after ARGV[2] ms) unless it already holds a later time.
constexpr const char* kBackOffScript =
    "local cur = tonumber(redis.call('GET', KEYS[1]) or '0') "
    "if tonumber(ARGV[1]) > cur then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end "
    "return 1";

constexpr int kMaxWindows = 64;  // windows tried per request before giving up

}  // namespace

bool RedisLimits::reserve(const std::string& host, double per_second, TimePoint earliest, TimePoint latest,
                          TimePoint* slot, Error* err) {
  if (per_second <= 0) {
    *slot = earliest;
    return true;
  }
  const long long window_ms = std::max(1000LL, static_cast<long long>(std::ceil(1000.0 / per_second)));
  const long long capacity = std::max(1LL, static_cast<long long>(per_second * static_cast<double>(window_ms) / 1000.0));
  const long long first = unix_ms(earliest) / window_ms;
  const long long last = unix_ms(latest) / window_ms;
  for (long long w = first; w <= last && w < first + kMaxWindows; ++w) {
    const std::string key = keys::rate(host, w);
    std::vector<Reply> r;
    if (!link_->run({{"INCR", key}, {"PEXPIRE", key, std::to_string(2 * window_ms)}}, &r, err)) return false;
    if (r[0].type != Reply::Type::integer) return fail(err, ErrorKind::unavailable, "redis: " + r[0].str);
    if (r[0].integer <= capacity) {
      *slot = std::max(earliest, from_unix_ms(w * window_ms));
      return true;
    }
  }
  return fail(err, ErrorKind::rate_limited, "no shared slot for " + host + " before the deadline");
}

void RedisLimits::back_off(const std::string& host, TimePoint until) {
  const long long end = unix_ms(until);
  const long long left = end - unix_ms(std::chrono::system_clock::now());
  if (left <= 0) return;
  Reply r;
  link_->run({"EVAL", kBackOffScript, "1", keys::backoff(host), std::to_string(end), std::to_string(left)}, &r, nullptr);
}

web::SharedLimits::TimePoint RedisLimits::blocked_until(const std::string& host) {
  Reply r;
  if (!link_->run({"GET", keys::backoff(host)}, &r, nullptr) || r.type != Reply::Type::string) return TimePoint{};
  char* end = nullptr;
  const long long ms = std::strtoll(r.str.c_str(), &end, 10);
  return end && *end == '\0' ? from_unix_ms(ms) : TimePoint{};
}

}  // namespace owlet::cluster
