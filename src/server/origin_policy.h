// Which browsers' requests the server answers (part of the request intake).
//
// Host: a page on a name the attacker controls can re-point that name at
// 127.0.0.1 (DNS rebinding) and then read the API as "same origin". Its requests
// still carry the attacker's name in Host, so Host must be an IP literal (no
// rebinding without a name), localhost or *.localhost (browsers resolve those
// themselves), this machine's name, or a name in `allowed_hosts`.
//
// Origin: any web page can POST to a loopback server (a text/plain form needs no
// CORS preflight), so a request with an Origin header is refused unless that
// origin is the served UI (same origin as Host), a loopback origin, or in
// `allowed_origins` (like OLLAMA_ORIGINS: exact origins, globs such as
// "https://*.example.com", "*" for any, "null" for file:// pages).
// Requests without Origin (curl, SDKs, server-side clients) are not browsers'.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace owlet::server {

struct OriginPolicy {
  std::vector<std::string> allowed_origins;
  std::vector<std::string> allowed_hosts;  // exact names or "*.example.com"; "*" = any
};

bool host_allowed(std::string_view host_header, const OriginPolicy& policy);
bool origin_allowed(std::string_view origin, std::string_view host_header, const OriginPolicy& policy);

// "[::1]:8080" → "::1", "Example.COM.:80" → "example.com".
std::string host_name_of(std::string_view host_header);

}  // namespace owlet::server
