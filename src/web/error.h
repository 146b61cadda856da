// Errors of the web module: every call reports one of these kinds plus a
// human-readable message instead of throwing across the module boundary.
#pragma once

#include <string>

namespace owlet::web {

enum class ErrorKind {
  none = 0,
  invalid_url,         // unparsable URL or a scheme other than http/https
  blocked_address,     // SSRF guard: private/loopback/link-local/metadata address
  blocked_domain,      // source governance: domain deny list / not on the allow list
  rate_limited,        // per-domain rate limit or a server's 429/503 back-off
  timeout,             // request or batch deadline passed
  too_large,           // body (after decompression) exceeded the cap
  too_many_redirects,  // redirect chain longer than the limit (or a loop)
  network,             // DNS, connect, reset, protocol errors
  tls,                 // certificate verification or handshake failure
  http_status,         // server answered with a non-success status
  parse,               // response body not in the expected shape
};

const char* error_kind_name(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::none;
  std::string message;

  bool ok() const { return kind == ErrorKind::none; }
  explicit operator bool() const { return !ok(); }  // true when there is an error
};

}  // namespace owlet::web
