// HTTP client on the libcurl multi interface: HTTP/2 multiplexing (many
// requests to one host share one connection), HTTP/1.1 fallback, connection
// reuse across calls, deadlines per request and per batch, bounded body size
// (after decompression), redirects followed here so every hop passes the SSRF
// guard and the domain policy, per-domain pacing and Retry-After back-off.
//
// Thread-safe: concurrent calls each borrow their own curl multi handle from a
// pool; a handle keeps its connections open for the next call that borrows it.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "web/domain_policy.h"
#include "web/error.h"
#include "web/shared_limits.h"
#include "web/ssrf_guard.h"

namespace owlet::web {

struct ClientOptions {
  std::string user_agent = "owlet/0.1 (local answer engine; +https://github.com/owlet-ai/owlet)";
  std::string accept_language;  // e.g. "zh-CN,zh;q=0.9,en;q=0.5"; sent unless a request sets its own
  std::chrono::milliseconds request_timeout{15000};  // whole request incl. redirects
  std::chrono::milliseconds connect_timeout{5000};
  std::size_t max_body_bytes = 8u << 20;  // decoded (decompressed) bytes
  int max_redirects = 5;
  bool http2 = true;                   // offer h2 via ALPN on https, fall back to HTTP/1.1
  bool http2_prior_knowledge = false;  // speak h2 directly on cleartext http (h2c)
  int max_connections_per_host = 6;
  int max_total_connections = 64;
  bool verify_tls = true;
  std::string ca_file;   // extra CA bundle (PEM); empty = system store
  std::string proxy;     // empty = HTTPS_PROXY / HTTP_PROXY / ALL_PROXY from the environment
  std::string no_proxy;  // used with `proxy`; otherwise NO_PROXY from the environment
  // curl CURLOPT_RESOLVE entries "host:port:address" (pins DNS; used by tests).
  std::vector<std::string> resolve;
  bool decode_text = true;  // fill HttpResponse::text for textual content types
  SsrfPolicy ssrf;
  DomainPolicy domains;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string url;
  std::string method = "GET";
  Headers headers;  // extra request headers
  std::string body;  // sent when non-empty (POST)
  std::chrono::milliseconds timeout{0};  // 0 = ClientOptions::request_timeout
};

struct HttpResponse {
  Error error;         // transport/policy error; HTTP status codes are in `status`
  long status = 0;     // final HTTP status, 0 when no response
  std::string url;            // as requested
  std::string effective_url;  // after redirects
  Headers headers;            // of the final response; names lower case
  std::string content_type;
  std::string body;      // decoded (decompressed) bytes
  std::string text;      // body as UTF-8 for textual types (see charset.h)
  std::string charset;   // encoding `text` was decoded from
  std::string http_version;  // "HTTP/2", "HTTP/1.1", "HTTP/1.0", "HTTP/3"
  int redirects = 0;
  int new_connections = 0;  // connections opened for this request (0 = reused)
  int retries = 0;          // 429/503 retries performed
  double elapsed_ms = 0;

  bool ok() const { return error.ok() && status >= 200 && status < 300; }
  // First header value with this (lower-case) name, or "".
  std::string header(const std::string& name) const;
};

class HttpClient {
 public:
  explicit HttpClient(ClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResponse fetch(const HttpRequest& request);
  HttpResponse get(const std::string& url) { return fetch(HttpRequest{url}); }
  // Runs all requests in parallel; every result is back by `deadline` (those
  // still running then get ErrorKind::timeout). Results keep the input order.
  std::vector<HttpResponse> fetch_all(const std::vector<HttpRequest>& requests, std::chrono::milliseconds deadline);

  const ClientOptions& options() const;
  // Pacing and back-off shared with other clients (web/shared_limits.h), on top
  // of this client's own. Set before the client is used.
  void set_shared_limits(std::shared_ptr<SharedLimits> limits);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The proxy libcurl should use for `url` given the options and the environment
// (HTTPS_PROXY/https_proxy, http_proxy, ALL_PROXY, NO_PROXY); "" = direct.
std::string proxy_for_url(const std::string& url, const ClientOptions& options);
// True when `host` matches a NO_PROXY list ("*", "example.com", ".example.com", IPs).
bool no_proxy_matches(const std::string& host, const std::string& no_proxy);

}  // namespace owlet::web
