// SSRF guard: decides whether the fetcher may connect to an address.
// The HTTP client applies it to the socket address curl actually connects to
// (so DNS rebinding cannot slip past a check made on an earlier lookup) and to
// every redirect hop.
#pragma once

#include <sys/socket.h>

#include <string>
#include <string_view>
#include <vector>

#include "web/error.h"

namespace owlet::web {

struct SsrfPolicy {
  // Addresses/ranges allowed even though they are private, e.g. "127.0.0.1",
  // "10.0.0.0/8", "::1". The default allows nothing private.
  std::vector<std::string> allow_cidrs;
  // Host names (exact, case-insensitive) whose addresses are allowed whatever they are.
  std::vector<std::string> allow_hosts;
};

struct SsrfVerdict {
  bool allowed = true;
  std::string reason;  // why it is blocked, e.g. "loopback", "cloud metadata"
};

// Classifies one IP address given as text ("10.0.0.1", "::1").
SsrfVerdict check_ip(std::string_view ip, const SsrfPolicy& policy);
// Same for a socket address (AF_INET / AF_INET6).
SsrfVerdict check_sockaddr(const sockaddr* addr, const SsrfPolicy& policy);

// Checks a URL before any network use: scheme http/https, and when the host is
// an IP literal, that address. Host names are checked at connect time.
Error check_url_static(std::string_view url, const SsrfPolicy& policy);

// Resolves `host` with getaddrinfo and checks every address; used when a proxy
// does the connecting for us. Unresolvable hosts are allowed (the proxy resolves).
Error check_host_resolved(const std::string& host, const SsrfPolicy& policy);

bool host_allow_listed(std::string_view host, const SsrfPolicy& policy);

// The check at connect time (a curl open-socket callback): "" when `addr`, the
// address `host` resolved to, may be connected to; else why not, as a line
// ("host x resolves to 10.0.0.1, blocked: private (RFC 1918)").
std::string connect_refusal(std::string_view host, const sockaddr* addr, const SsrfPolicy& policy);

}  // namespace owlet::web
