// A Redis address as written in `cluster_redis`:
//
//   redis://[[user]:password@]host[:port][/db]     plain TCP
//   rediss://[[user]:password@]host[:port][/db]    TLS
//
// Defaults: port 6379, db 0. Percent-escapes in user and password are decoded
// (a password with '@' or ':' is written %40, %3A).
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"

namespace owlet::cluster {

struct RedisUrl {
  bool tls = false;
  std::string host;
  int port = 6379;
  int db = 0;
  std::string user;      // "" = the default user (AUTH password)
  std::string password;  // "" = no AUTH
};

// False with a bad_request error naming what is wrong (never echoes the password).
bool parse_redis_url(std::string_view text, RedisUrl* out, Error* err);

// host:port/db with the scheme, without credentials: safe for logs and metrics.
std::string redacted(const RedisUrl& url);

}  // namespace owlet::cluster
