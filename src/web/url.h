// URL parsing, resolution and canonicalization (backed by libcurl's URL API,
// the same parser the transfers use, so checks and connections agree).
#pragma once

#include <string>
#include <string_view>

#include "web/error.h"

namespace owlet::web {

struct Url {
  std::string scheme;    // lower case: "http" / "https"
  std::string host;      // lower case; IPv6 literals without brackets
  int port = 0;          // explicit port, else the scheme's default
  std::string path;      // "/" when empty
  std::string query;     // without '?'
  std::string fragment;  // without '#'
};

struct UrlParse {
  Url url;
  Error error;
};

// Parses an absolute http(s) URL. Other schemes give ErrorKind::invalid_url.
UrlParse parse_url(std::string_view text);

// Resolves `ref` against `base` (RFC 3986). Returns "" when either is invalid.
std::string resolve_url(std::string_view base, std::string_view ref);

// Canonical form used for dedup and cache keys: scheme and host lower case,
// default port dropped, fragment dropped, tracking parameters (utm_*, gclid,
// fbclid, ...) removed, empty path -> "/". Returns "" for non-http(s) input.
std::string canonicalize_url(std::string_view url);

// True for query parameter names that only track the visitor.
bool is_tracking_param(std::string_view name);

// Percent-encodes everything except RFC 3986 unreserved characters.
std::string url_encode(std::string_view s);
// Decodes %XX and '+' (form encoding) into bytes.
std::string url_decode(std::string_view s);

}  // namespace owlet::web
