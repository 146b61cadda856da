#include "server/origin_policy.h"

#include <arpa/inet.h>
#include <fnmatch.h>
#include <unistd.h>

#include "common/strings.h"

namespace owlet::server {
namespace {

bool is_ip_literal(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

bool is_loopback_ip(const std::string& host) {
  unsigned char buf[16];
  if (inet_pton(AF_INET, host.c_str(), buf) == 1) return buf[0] == 127;
  return host == "::1";
}

bool is_localhost(const std::string& host) { return host == "localhost" || iends_with(host, ".localhost"); }

std::string machine_name() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "";
  return ascii_lower(buf);
}

bool glob_match(const std::string& pattern, const std::string& text) {
  return fnmatch(ascii_lower(pattern).c_str(), ascii_lower(text).c_str(), 0) == 0;
}

}  // namespace

std::string host_name_of(std::string_view h) {
  h = trim(h);
  std::string_view host = h;
  if (!h.empty() && h.front() == '[') {
    size_t close = h.find(']');
    host = close == std::string_view::npos ? h.substr(1) : h.substr(1, close - 1);
  } else if (size_t colon = h.rfind(':'); colon != std::string_view::npos && h.find(':') == colon) {
    host = h.substr(0, colon);
  }
  std::string out = ascii_lower(host);
  while (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

bool host_allowed(std::string_view host_header, const OriginPolicy& policy) {
  if (trim(host_header).empty()) return true;  // HTTP/1.0 without Host: not a browser
  const std::string host = host_name_of(host_header);
  if (is_ip_literal(host) || is_localhost(host)) return true;
  if (host == machine_name()) return true;
  for (const auto& a : policy.allowed_hosts)
    if (a == "*" || glob_match(a, host)) return true;
  return false;
}

bool origin_allowed(std::string_view origin_sv, std::string_view host_header, const OriginPolicy& policy) {
  const std::string origin(trim(origin_sv));
  for (const auto& a : policy.allowed_origins)
    if (a == "*" || glob_match(a, origin)) return true;
  size_t sep = origin.find("://");
  if (sep == std::string::npos) return false;  // "null" and other opaque origins: only when listed
  const std::string scheme = ascii_lower(origin.substr(0, sep));
  const std::string authority = origin.substr(sep + 3);
  if ((scheme != "http" && scheme != "https") || authority.find('/') != std::string::npos) return false;
  if (!trim(host_header).empty() && iequals(authority, trim(host_header))) return true;  // the served UI
  const std::string host = host_name_of(authority);
  return is_loopback_ip(host) || is_localhost(host);
}

}  // namespace owlet::server
