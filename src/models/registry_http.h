// HTTP for pulls: one exchange with a registry, its token service, Hugging Face
// or the CDN they redirect to, through the SSRF guard that page fetches use
// (web/ssrf_guard.h). Redirects are followed here, hop by hop: every hop's URL is
// checked before it is requested, and every socket's address when it is opened
// (after DNS), so neither a registry's redirect or auth realm nor a DNS answer can
// steer a pull to a private address the policy does not allow. Credentials stay
// behind on a redirect to another origin.
//
// Blob downloads stream through `on_body`; small answers (manifests, tokens) are
// collected into ExchangeResult::body, capped.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/error.h"
#include "web/ssrf_guard.h"

namespace owlet::models {

using HeaderMap = std::map<std::string, std::string>;  // lower-case names

struct GuardPolicy {
  web::SsrfPolicy ssrf;   // what private addresses (or hosts) may be reached
  bool insecure = false;  // allow plain http:// and skip TLS certificate checks
  int max_redirects = 10;
};

struct Exchange {
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  bool head = false;
  bool follow = true;                // false: a redirect is the answer (Hugging Face's HEAD)
  long timeout_s = 120;              // whole exchange; 0 = none (a stall still fails after a minute)
  // Body bytes of the final response (never of a redirect). `status` and `headers`
  // are that response's. Return false to abort the exchange.
  std::function<bool(const char* data, size_t n, long status, const HeaderMap& headers)> on_body;
  std::function<bool()> cancelled;   // polled during the transfer
};

struct ExchangeResult {
  long status = 0;
  HeaderMap headers;     // of the final response
  std::string url;       // final URL after redirects
  std::string body;      // without on_body: the body, up to kMaxSmallBody
  int redirects = 0;
  bool aborted = false;  // on_body or cancelled() stopped it
};

inline constexpr size_t kMaxSmallBody = 4 << 20;

// False with a kind: blocked_address (SSRF guard), invalid_url (scheme, or plain
// http without `insecure`), too_many_redirects, timeout, tls, network, too_large
// (small body over the cap), cancelled (aborted; see ExchangeResult::aborted).
bool exchange(const Exchange& x, const GuardPolicy& policy, ExchangeResult* out, Error* err);

// scheme://host:port of a URL, for same-origin checks; "" when it does not parse.
std::string url_origin(const std::string& url);
// The host of a URL (lower case, IPv6 without brackets); "" when it does not parse.
std::string url_host(const std::string& url);

}  // namespace owlet::models
