#include "cluster/redis_url.h"

#include <charconv>

#include "common/strings.h"

namespace owlet::cluster {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = ascii_lower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool percent_decode(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

bool parse_int(std::string_view s, int lo, int hi, int* out) {
  if (s.empty()) return false;
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < lo || v > hi) return false;
  *out = v;
  return true;
}

}  // namespace

bool parse_redis_url(std::string_view text, RedisUrl* out, Error* err) {
  RedisUrl u;
  std::string_view s = trim(text);
  if (istarts_with(s, "redis://")) {
    s.remove_prefix(8);
  } else if (istarts_with(s, "rediss://")) {
    u.tls = true;
    s.remove_prefix(9);
  } else {
    return fail(err, ErrorKind::bad_request, "cluster_redis: expected redis://host:port/db or rediss://…");
  }
  // Credentials end at the last '@' (an unescaped '@' in a password is common enough).
  if (size_t at = s.rfind('@'); at != std::string_view::npos) {
    std::string_view cred = s.substr(0, at);
    s.remove_prefix(at + 1);
    size_t colon = cred.find(':');
    std::string_view user = colon == std::string_view::npos ? std::string_view() : cred.substr(0, colon);
    std::string_view pass = colon == std::string_view::npos ? cred : cred.substr(colon + 1);
    if (!percent_decode(user, &u.user) || !percent_decode(pass, &u.password))
      return fail(err, ErrorKind::bad_request, "cluster_redis: bad %-escape in the credentials");
  }
  std::string_view hostport = s, path;
  if (size_t slash = s.find('/'); slash != std::string_view::npos) {
    hostport = s.substr(0, slash);
    path = s.substr(slash + 1);
  }
  if (!hostport.empty() && hostport.front() == '[') {  // [::1]:6379
    size_t close = hostport.find(']');
    if (close == std::string_view::npos) return fail(err, ErrorKind::bad_request, "cluster_redis: unclosed '[' in the host");
    u.host = std::string(hostport.substr(1, close - 1));
    hostport.remove_prefix(close + 1);
    if (!hostport.empty() && hostport.front() != ':')
      return fail(err, ErrorKind::bad_request, "cluster_redis: unexpected text after the host");
    if (!hostport.empty() && !parse_int(hostport.substr(1), 1, 65535, &u.port))
      return fail(err, ErrorKind::bad_request, "cluster_redis: the port must be 1-65535");
  } else {
    size_t colon = hostport.rfind(':');
    u.host = std::string(hostport.substr(0, colon));
    if (colon != std::string_view::npos && !parse_int(hostport.substr(colon + 1), 1, 65535, &u.port))
      return fail(err, ErrorKind::bad_request, "cluster_redis: the port must be 1-65535");
  }
  if (u.host.empty()) return fail(err, ErrorKind::bad_request, "cluster_redis: no host");
  if (!path.empty() && !parse_int(path, 0, 1 << 20, &u.db))
    return fail(err, ErrorKind::bad_request, "cluster_redis: the database must be a number (/0, /1, …)");
  *out = std::move(u);
  return true;
}

std::string redacted(const RedisUrl& u) {
  std::string host = u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host;
  return std::string(u.tls ? "rediss://" : "redis://") + host + ":" + std::to_string(u.port) + "/" +
         std::to_string(u.db);
}

}  // namespace owlet::cluster
