#include "web/http_client.h"
#include "common/strings.h"

#include <curl/curl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "web/charset.h"
#include "web/url.h"

namespace owlet::web {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string getenv_str(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

long ms_until(Clock::time_point t, Clock::time_point now) {
  return static_cast<long>(std::chrono::duration_cast<milliseconds>(t - now).count());
}

// One request as it moves through the batch: scheduled, running, maybe redirected or retried.
struct Transfer {
  size_t index = 0;
  HttpRequest req;
  HttpResponse resp;
  std::string current_url;
  std::string current_host;
  std::string method;
  std::string body;  // request body (cleared after a 303)
  CURL* easy = nullptr;
  curl_slist* header_list = nullptr;
  Clock::time_point start_at{};
  Clock::time_point started{};
  Clock::time_point deadline{};
  bool running = false;
  bool done = false;
  bool via_proxy = false;
  bool too_large = false;
  std::string blocked_reason;
  std::vector<std::string> visited;
  const ClientOptions* options = nullptr;
};

size_t on_body(char* data, size_t size, size_t n, void* userp) {
  auto* t = static_cast<Transfer*>(userp);
  size_t bytes = size * n;
  // Bytes arrive here already decompressed, so this caps gzip/br/zstd bombs too.
  if (t->resp.body.size() + bytes > t->options->max_body_bytes) {
    t->too_large = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  t->resp.body.append(data, bytes);
  return bytes;
}

size_t on_header(char* data, size_t size, size_t n, void* userp) {
  auto* t = static_cast<Transfer*>(userp);
  std::string_view line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    t->resp.headers.clear();  // a new response (after 1xx or a proxy CONNECT)
    return size * n;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  std::string name = ascii_lower(std::string(line.substr(0, colon)));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
  t->resp.headers.emplace_back(std::move(name), std::string(value));
  return size * n;
}

// Every socket curl opens passes through here: the address is the one actually
// connected to, after DNS, so a rebinding resolver cannot bypass the guard.
curl_socket_t on_open_socket(void* clientp, curlsocktype purpose, curl_sockaddr* addr) {
  auto* t = static_cast<Transfer*>(clientp);
  // With a proxy the socket goes to the proxy (trusted config); the target was
  // checked by resolving it before the transfer started.
  if (!t->via_proxy && purpose == CURLSOCKTYPE_IPCXN) {
    t->blocked_reason = connect_refusal(t->current_host, &addr->addr, t->options->ssrf);
    if (!t->blocked_reason.empty()) return CURL_SOCKET_BAD;
  }
  return socket(addr->family, addr->socktype, addr->protocol);
}

std::string version_name(long v) {
  switch (v) {
    case CURL_HTTP_VERSION_1_0: return "HTTP/1.0";
    case CURL_HTTP_VERSION_1_1: return "HTTP/1.1";
    case CURL_HTTP_VERSION_2_0: return "HTTP/2";
#ifdef CURL_HTTP_VERSION_3
    case CURL_HTTP_VERSION_3: return "HTTP/3";
#endif
    default: return "";
  }
}

Error map_curl_error(CURLcode code, const Transfer& t, const char* errbuf) {
  std::string detail = errbuf && *errbuf ? errbuf : curl_easy_strerror(code);
  if (!t.blocked_reason.empty()) return {ErrorKind::blocked_address, t.blocked_reason};
  if (t.too_large || code == CURLE_FILESIZE_EXCEEDED)
    return {ErrorKind::too_large, "body exceeds " + std::to_string(t.options->max_body_bytes) + " bytes (after decompression)"};
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT: return {ErrorKind::timeout, detail};
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      return {ErrorKind::tls, detail};
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return {ErrorKind::invalid_url, detail};
    default: return {ErrorKind::network, detail};
  }
}

}  // namespace

std::string HttpResponse::header(const std::string& name) const {
  std::string n = ascii_lower(name);
  for (const auto& [k, v] : headers)
    if (k == n) return v;
  return {};
}

bool no_proxy_matches(const std::string& host, const std::string& no_proxy) {
  size_t pos = 0;
  while (pos <= no_proxy.size()) {
    size_t comma = no_proxy.find(',', pos);
    if (comma == std::string::npos) comma = no_proxy.size();
    std::string entry = no_proxy.substr(pos, comma - pos);
    entry.erase(0, entry.find_first_not_of(" \t"));
    entry.erase(entry.find_last_not_of(" \t") + 1);
    if (auto colon = entry.rfind(':'); colon != std::string::npos && entry.find(':') == colon) entry.resize(colon);
    if (entry == "*") return true;
    if (!entry.empty() && domain_matches(host, entry)) return true;
    pos = comma + 1;
  }
  return false;
}

std::string proxy_for_url(const std::string& url, const ClientOptions& options) {
  UrlParse p = parse_url(url);
  if (!p.error.ok()) return {};
  std::string proxy = options.proxy, no_proxy = options.no_proxy;
  if (proxy.empty()) {
    // curl's conventions: lower-case http_proxy only (HTTP_PROXY can be set by CGI clients).
    if (p.url.scheme == "https") proxy = getenv_str("https_proxy"), proxy = proxy.empty() ? getenv_str("HTTPS_PROXY") : proxy;
    else proxy = getenv_str("http_proxy");
    if (proxy.empty()) proxy = getenv_str("all_proxy");
    if (proxy.empty()) proxy = getenv_str("ALL_PROXY");
    no_proxy = getenv_str("no_proxy");
    if (no_proxy.empty()) no_proxy = getenv_str("NO_PROXY");
  }
  if (proxy.empty() || no_proxy_matches(p.url.host, no_proxy)) return {};
  return proxy;
}

namespace {

// steady_clock (deadlines here) <-> system_clock (shared with other machines).
SharedLimits::TimePoint to_wall(Clock::time_point t, Clock::time_point now) {
  return std::chrono::system_clock::now() + std::chrono::duration_cast<std::chrono::system_clock::duration>(t - now);
}
// A wall time already past maps to `now`.
Clock::time_point to_steady(SharedLimits::TimePoint t, Clock::time_point now) {
  const auto ahead = t - std::chrono::system_clock::now();
  return ahead.count() <= 0 ? now : now + std::chrono::duration_cast<Clock::duration>(ahead);
}

}  // namespace

struct HttpClient::Impl {
  ClientOptions opts;
  RateLimiter limiter;
  std::shared_ptr<SharedLimits> shared;  // set before use, read-only afterwards
  std::mutex pool_mu;
  std::vector<CURLM*> pool;  // idle multi handles, each with its warm connections

  curl_slist* resolve_list = nullptr;  // built once, read-only afterwards

  explicit Impl(ClientOptions o) : opts(std::move(o)), limiter(opts.domains.requests_per_second) {
    for (const auto& r : opts.resolve) resolve_list = curl_slist_append(resolve_list, r.c_str());
  }
  ~Impl() {
    for (CURLM* m : pool) curl_multi_cleanup(m);
    curl_slist_free_all(resolve_list);
  }

  CURLM* borrow() {
    {
      std::lock_guard<std::mutex> lock(pool_mu);
      if (!pool.empty()) {
        CURLM* m = pool.back();
        pool.pop_back();
        return m;
      }
    }
    CURLM* m = curl_multi_init();
    curl_multi_setopt(m, CURLMOPT_PIPELINING, static_cast<long>(CURLPIPE_MULTIPLEX));
    curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(opts.max_connections_per_host));
    curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, static_cast<long>(opts.max_total_connections));
    return m;
  }
  void give_back(CURLM* m) {
    std::lock_guard<std::mutex> lock(pool_mu);
    pool.push_back(m);
  }

  void finish(Transfer& t, Error err) {
    if (t.done) return;
    if (!err.ok() && t.resp.error.ok()) t.resp.error = std::move(err);
    t.done = true;
  }

  // Policy checks for the hop about to start; false when it must not run.
  bool admit_hop(Transfer& t, Clock::time_point now) {
    UrlParse p = parse_url(t.current_url);
    if (!p.error.ok()) return finish(t, p.error), false;
    t.current_host = p.url.host;
    if (Error e = check_url_static(t.current_url, opts.ssrf)) return finish(t, e), false;
    if (Error e = check_domain(p.url.host, opts.domains)) return finish(t, e), false;
    std::string proxy = proxy_for_url(t.current_url, opts);
    t.via_proxy = !proxy.empty();
    if (t.via_proxy) {
      if (Error e = check_host_resolved(p.url.host, opts.ssrf)) return finish(t, e), false;
    }
    Clock::time_point blocked = limiter.blocked_until(p.url.host);
    if (shared) blocked = std::max(blocked, to_steady(shared->blocked_until(p.url.host), now));
    if (blocked > t.deadline) {
      return finish(t, {ErrorKind::rate_limited, p.url.host + " asked us to back off for another " +
                                                     std::to_string(ms_until(blocked, now)) + " ms"}),
             false;
    }
    Clock::time_point slot = limiter.reserve(p.url.host, now);
    if (slot > t.deadline) {
      return finish(t, {ErrorKind::rate_limited, "per-domain rate limit for " + p.url.host + " leaves no slot before the deadline"}),
             false;
    }
    if (shared && opts.domains.requests_per_second > 0) {
      SharedLimits::TimePoint wall;
      Error e;
      if (shared->reserve(p.url.host, opts.domains.requests_per_second, to_wall(slot, now), to_wall(t.deadline, now),
                          &wall, &e)) {
        slot = std::max(slot, to_steady(wall, now));
      } else if (e.kind == ErrorKind::rate_limited) {
        return finish(t, {ErrorKind::rate_limited, "cluster-wide rate limit for " + p.url.host +
                                                       " leaves no slot before the deadline"}),
               false;
      }  // unreachable shared state: this client's own pacing alone
    }
    t.start_at = slot;
    return true;
  }

  void configure(Transfer& t, Clock::time_point now, char* errbuf) {
    CURL* e = t.easy;
    curl_easy_setopt(e, CURLOPT_URL, t.current_url.c_str());
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
    long remaining = std::max(1L, ms_until(t.deadline, now));
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, remaining);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, std::min(remaining, static_cast<long>(opts.connect_timeout.count())));
    curl_easy_setopt(e, CURLOPT_PROXY, proxy_for_url(t.current_url, opts).c_str());
    if (t.method == "GET") {
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, nullptr);
      curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else if (t.method == "POST") {
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t.body.size()));
      curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, t.body.c_str());
    } else {
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, t.method.c_str());
      if (!t.body.empty()) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t.body.size()));
        curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, t.body.c_str());
      }
    }
    t.resp.body.clear();
    t.resp.headers.clear();
    t.too_large = false;
    t.blocked_reason.clear();
    errbuf[0] = '\0';
  }

  // Request headers for the current hop. After a redirect to another origin,
  // credentials (API keys, cookies) stay behind: they were meant for the first host.
  static void set_headers(Transfer& t, bool cross_origin) {
    curl_slist* hl = nullptr;
    bool has_language = std::any_of(t.req.headers.begin(), t.req.headers.end(),
                                    [](const auto& h) { return ascii_lower(h.first) == "accept-language"; });
    if (!has_language && !t.options->accept_language.empty())
      hl = curl_slist_append(hl, ("Accept-Language: " + t.options->accept_language).c_str());
    for (const auto& [k, v] : t.req.headers) {
      std::string name = ascii_lower(k);
      bool secret = name == "authorization" || name == "cookie" || name == "proxy-authorization" ||
                    name.find("token") != std::string::npos || name.find("api-key") != std::string::npos ||
                    name.find("apikey") != std::string::npos;
      if (cross_origin && secret) continue;
      hl = curl_slist_append(hl, (k + ": " + v).c_str());
    }
    curl_slist_free_all(t.header_list);
    t.header_list = hl;
    curl_easy_setopt(t.easy, CURLOPT_HTTPHEADER, hl);
  }

  static std::string origin(const std::string& url) {
    UrlParse p = parse_url(url);
    return p.error.ok() ? p.url.scheme + "://" + p.url.host + ":" + std::to_string(p.url.port) : url;
  }

  CURL* make_easy(Transfer& t) {
    CURL* e = curl_easy_init();
    t.easy = e;
    curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    if (std::getenv("OWLET_CURL_VERBOSE")) curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);  // debugging aid
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);  // we follow, to vet every hop
    curl_easy_setopt(e, CURLOPT_USERAGENT, opts.user_agent.c_str());
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");  // everything curl can decode: gzip, deflate, br, zstd
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(opts.max_body_bytes));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, &t);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, opts.verify_tls ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, opts.verify_tls ? 2L : 0L);
    if (!opts.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, opts.ca_file.c_str());
    long version = CURL_HTTP_VERSION_1_1;
    if (opts.http2_prior_knowledge) version = CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE;
    else if (opts.http2) version = CURL_HTTP_VERSION_2TLS;
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, version);
    // Wait for an existing connection to accept another stream rather than opening a new one
    // — only where one can: TLS (h2 via ALPN) or h2c by prior knowledge. On cleartext
    // HTTP/1.1 the wait lasts until the first response's headers, so one page that never
    // answers would stall every other page of its host (test_faults has that page).
    const std::string& url = t.current_url.empty() ? t.req.url : t.current_url;
    const bool tls = url.rfind("https://", 0) == 0;
    if ((opts.http2 && tls) || opts.http2_prior_knowledge) curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    set_headers(t, false);
    if (resolve_list) curl_easy_setopt(e, CURLOPT_RESOLVE, resolve_list);
    return e;
  }

  // What to do after a hop completed with an HTTP response. Returns true when
  // the transfer continues (redirect or retry) and must be re-added.
  bool after_response(Transfer& t, Clock::time_point now) {
    long status = 0;
    curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
    t.resp.status = status;
    long conns = 0;
    curl_easy_getinfo(t.easy, CURLINFO_NUM_CONNECTS, &conns);
    t.resp.new_connections += static_cast<int>(conns);
    long ver = 0;
    curl_easy_getinfo(t.easy, CURLINFO_HTTP_VERSION, &ver);
    t.resp.http_version = version_name(ver);
    t.resp.effective_url = t.current_url;
    char* ct = nullptr;
    curl_easy_getinfo(t.easy, CURLINFO_CONTENT_TYPE, &ct);
    t.resp.content_type = ct ? ct : "";

    if (status >= 300 && status < 400 && status != 304) {
      char* loc = nullptr;
      curl_easy_getinfo(t.easy, CURLINFO_REDIRECT_URL, &loc);
      if (loc == nullptr || !*loc) return false;  // a 3xx without Location is the final answer
      std::string next = loc;
      if (t.resp.redirects >= opts.max_redirects) {
        finish(t, {ErrorKind::too_many_redirects, "more than " + std::to_string(opts.max_redirects) + " redirects"});
        return false;
      }
      if (std::find(t.visited.begin(), t.visited.end(), next) != t.visited.end()) {
        finish(t, {ErrorKind::too_many_redirects, "redirect loop back to " + next});
        return false;
      }
      t.resp.redirects++;
      t.visited.push_back(next);
      if (origin(next) != origin(t.req.url)) set_headers(t, true);
      t.current_url = next;
      if (status == 303 || ((status == 301 || status == 302) && t.method == "POST")) {
        t.method = "GET";
        t.body.clear();
      }
      return admit_hop(t, now);
    }
    if (status == 429 || status == 503) {
      milliseconds wait = parse_retry_after(t.resp.header("retry-after"));
      if (wait.count() < 0) wait = opts.domains.default_backoff;
      wait = std::min(wait, opts.domains.max_backoff);
      limiter.back_off(t.current_host, now + wait);
      if (shared) shared->back_off(t.current_host, to_wall(now + wait, now));
      if (t.resp.retries < opts.domains.max_retries && now + wait < t.deadline) {
        t.resp.retries++;
        return admit_hop(t, now);
      }
      finish(t, {ErrorKind::rate_limited, t.current_host + " answered " + std::to_string(status) + "; backing off " +
                                              std::to_string(wait.count()) + " ms"});
      return false;
    }
    return false;
  }

  void finalize(Transfer& t, Clock::time_point now) {
    t.resp.elapsed_ms = std::chrono::duration<double, std::milli>(now - t.started).count();
    if (t.resp.effective_url.empty()) t.resp.effective_url = t.current_url;
    if (t.resp.error.ok() && opts.decode_text && is_textual_content_type(t.resp.content_type)) {
      DecodedText d = decode_to_utf8(t.resp.body, t.resp.content_type);
      t.resp.text = std::move(d.text);
      t.resp.charset = std::move(d.charset);
    }
  }

  std::vector<HttpResponse> run(const std::vector<HttpRequest>& requests, milliseconds batch_deadline) {
    global_init();
    Clock::time_point begin = Clock::now();
    Clock::time_point batch_end = begin + batch_deadline;
    std::vector<Transfer> ts(requests.size());
    std::vector<std::vector<char>> errbufs(requests.size(), std::vector<char>(CURL_ERROR_SIZE + 1, '\0'));
    for (size_t i = 0; i < requests.size(); ++i) {
      Transfer& t = ts[i];
      t.index = i;
      t.req = requests[i];
      t.options = &opts;
      t.resp.url = t.req.url;
      t.current_url = t.req.url;
      t.visited.push_back(t.req.url);
      t.method = t.req.method.empty() ? "GET" : t.req.method;
      t.body = t.req.body;
      t.started = begin;
      milliseconds per = t.req.timeout.count() > 0 ? t.req.timeout : opts.request_timeout;
      t.deadline = std::min(batch_end, begin + per);
      admit_hop(t, begin);
    }

    CURLM* multi = borrow();
    int running_count = 0;
    for (;;) {
      Clock::time_point now = Clock::now();
      // Start (or restart) every hop whose slot has come.
      Clock::time_point next_wake = batch_end;
      bool any_left = false;
      for (Transfer& t : ts) {
        if (t.done) continue;
        any_left = true;
        if (now >= t.deadline) {
          if (t.running) curl_multi_remove_handle(multi, t.easy), t.running = false;
          finish(t, {ErrorKind::timeout, "deadline passed"});
          continue;
        }
        next_wake = std::min(next_wake, t.deadline);
        if (t.running) continue;
        if (t.start_at > now) {
          next_wake = std::min(next_wake, t.start_at);
          continue;
        }
        if (!t.easy) t.easy = make_easy(t);
        configure(t, now, errbufs[t.index].data());
        curl_multi_add_handle(multi, t.easy);
        t.running = true;
      }
      if (!any_left) break;

      curl_multi_perform(multi, &running_count);
      int left = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
        if (msg->msg != CURLMSG_DONE) continue;
        Transfer* t = nullptr;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&t));
        CURLcode code = msg->data.result;
        curl_multi_remove_handle(multi, t->easy);
        t->running = false;
        now = Clock::now();
        if (code != CURLE_OK) {
          long conns = 0;
          curl_easy_getinfo(t->easy, CURLINFO_NUM_CONNECTS, &conns);
          t->resp.new_connections += static_cast<int>(conns);
          finish(*t, map_curl_error(code, *t, errbufs[t->index].data()));
        } else if (!after_response(*t, now)) {
          t->done = true;
        }
      }
      bool finished_all = std::all_of(ts.begin(), ts.end(), [](const Transfer& t) { return t.done; });
      if (finished_all) break;
      // Something just completed and may need restarting (redirect, retry): no sleeping.
      now = Clock::now();
      bool restart_pending = std::any_of(ts.begin(), ts.end(),
                                         [&](const Transfer& t) { return !t.done && !t.running && t.start_at <= now; });
      long wait = restart_pending ? 0L : std::clamp(ms_until(next_wake, now), 0L, 100L);
      if (wait > 0 || running_count > 0) curl_multi_poll(multi, nullptr, 0, static_cast<int>(wait), nullptr);
    }

    std::vector<HttpResponse> out;
    out.reserve(ts.size());
    Clock::time_point end = Clock::now();
    for (Transfer& t : ts) {
      if (t.easy) {
        if (t.running) curl_multi_remove_handle(multi, t.easy);
        curl_easy_cleanup(t.easy);
      }
      curl_slist_free_all(t.header_list);
      finalize(t, end);
      out.push_back(std::move(t.resp));
    }
    give_back(multi);
    return out;
  }
};

HttpClient::HttpClient(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) { global_init(); }
HttpClient::~HttpClient() = default;

const ClientOptions& HttpClient::options() const { return impl_->opts; }

void HttpClient::set_shared_limits(std::shared_ptr<SharedLimits> limits) { impl_->shared = std::move(limits); }

HttpResponse HttpClient::fetch(const HttpRequest& request) {
  milliseconds per = request.timeout.count() > 0 ? request.timeout : impl_->opts.request_timeout;
  return std::move(impl_->run({request}, per).front());
}

std::vector<HttpResponse> HttpClient::fetch_all(const std::vector<HttpRequest>& requests, milliseconds deadline) {
  return impl_->run(requests, deadline);
}

}  // namespace owlet::web
