#include "models/registry_http.h"

#include <curl/curl.h>
#include <sys/socket.h>

#include <mutex>

#include "common/strings.h"
#include "web/http_client.h"
#include "web/url.h"

namespace owlet::models {
namespace {

constexpr const char* kUserAgent = "owlet/0.1.0";

void curl_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// What the callbacks of one exchange share.
struct State {
  const Exchange* x = nullptr;
  const GuardPolicy* policy = nullptr;
  CURL* curl = nullptr;
  ExchangeResult* out = nullptr;
  std::string host;         // of the current hop
  bool via_proxy = false;
  bool first_byte = true;   // of the current hop's body
  bool redirect_body = false;
  bool too_large = false;
  bool cancelled = false;     // Exchange::cancelled said so
  bool body_refused = false;  // Exchange::on_body returned false
  std::string blocked;      // why the guard refused a socket
};

bool is_redirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* st = static_cast<State*>(user);
  std::string_view line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    st->out->headers.clear();  // a new response (after a 1xx)
    return size * n;
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos)
    st->out->headers[ascii_lower(trim(line.substr(0, colon)))] = std::string(trim(line.substr(colon + 1)));
  return size * n;
}

size_t on_data(char* data, size_t size, size_t n, void* user) {
  auto* st = static_cast<State*>(user);
  size_t len = size * n;
  if (st->first_byte) {
    st->first_byte = false;
    long status = 0;
    curl_easy_getinfo(st->curl, CURLINFO_RESPONSE_CODE, &status);
    st->redirect_body = st->x->follow && is_redirect(status);
    st->out->status = status;
  }
  if (st->redirect_body) return len;  // the body of a redirect is not the answer
  if (st->x->on_body) {
    if (st->x->on_body(data, len, st->out->status, st->out->headers)) return len;
    st->body_refused = st->out->aborted = true;
    return 0;
  }
  if (st->out->body.size() + len > kMaxSmallBody) {
    st->too_large = true;
    return 0;
  }
  st->out->body.append(data, len);
  return len;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* st = static_cast<State*>(user);
  if (st->x->cancelled && st->x->cancelled()) {
    st->cancelled = st->out->aborted = true;
    return 1;
  }
  return 0;
}

// Every socket of the exchange: the address is the one actually connected to,
// after DNS, so a rebinding resolver cannot slip past a check of the name.
curl_socket_t on_open_socket(void* user, curlsocktype purpose, curl_sockaddr* addr) {
  auto* st = static_cast<State*>(user);
  if (!st->via_proxy && purpose == CURLSOCKTYPE_IPCXN) {
    st->blocked = web::connect_refusal(st->host, &addr->addr, st->policy->ssrf);
    if (!st->blocked.empty()) return CURL_SOCKET_BAD;
  }
  return socket(addr->family, addr->socktype, addr->protocol);
}

void set_common_options(CURL* c, const Exchange& x, const GuardPolicy& p, State* st) {
  curl_easy_setopt(c, CURLOPT_USERAGENT, kUserAgent);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);  // a stalled transfer fails after a minute
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, x.timeout_s);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);  // followed here, to vet every hop
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, p.insecure ? "http,https" : "https");
  curl_easy_setopt(c, CURLOPT_NOBODY, x.head ? 1L : 0L);
  if (p.insecure) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, st);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, st);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, st);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, st);
}

// The guard's checks before a hop is requested: scheme, IP literals, and (through
// a proxy, which does the connecting) every address the host resolves to.
bool admit_hop(const std::string& url, const GuardPolicy& p, State* st, Error* err) {
  web::UrlParse u = web::parse_url(url);
  if (!u.error.ok()) return fail(err, ErrorKind::invalid_url, "'" + url + "' is not an http(s) URL");
  if (u.url.scheme == "http" && !p.insecure)
    return fail(err, ErrorKind::invalid_url, url + " is plain http; pass --insecure to allow it");
  if (Error e = web::check_url_static(url, p.ssrf)) return fail(err, e.kind, e.message);
  st->host = u.url.host;
  std::string proxy = web::proxy_for_url(url, web::ClientOptions{});
  st->via_proxy = !proxy.empty();
  if (st->via_proxy && !web::host_allow_listed(st->host, p.ssrf))
    if (Error e = web::check_host_resolved(st->host, p.ssrf)) return fail(err, e.kind, e.message);
  curl_easy_setopt(st->curl, CURLOPT_PROXY, proxy.c_str());  // "" = direct, whatever the environment says
  return true;
}

Error transport_error(CURLcode rc, const State& st, const std::string& url) {
  if (!st.blocked.empty()) return {ErrorKind::blocked_address, st.blocked};
  if (st.too_large) return {ErrorKind::too_large, url + ": answer larger than " + std::to_string(kMaxSmallBody) + " bytes"};
  if (st.cancelled) return {ErrorKind::cancelled, url + ": cancelled"};
  if (st.body_refused) return {ErrorKind::io, url + ": the download stopped (the body could not be stored)"};
  std::string what = url + ": " + curl_easy_strerror(rc);
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT: return {ErrorKind::timeout, what};
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE: return {ErrorKind::tls, what};
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT: return {ErrorKind::invalid_url, what};
    default: return {ErrorKind::network, what};
  }
}

curl_slist* header_list(const std::vector<std::string>& headers, bool with_credentials) {
  curl_slist* hl = nullptr;
  for (const auto& h : headers)
    if (with_credentials || !istarts_with(h, "authorization:")) hl = curl_slist_append(hl, h.c_str());
  return hl;
}

}  // namespace

std::string url_origin(const std::string& url) {
  web::UrlParse u = web::parse_url(url);
  return u.error.ok() ? u.url.scheme + "://" + u.url.host + ":" + std::to_string(u.url.port) : "";
}

std::string url_host(const std::string& url) {
  web::UrlParse u = web::parse_url(url);
  return u.error.ok() ? u.url.host : "";
}

bool exchange(const Exchange& x, const GuardPolicy& policy, ExchangeResult* out, Error* err) {
  curl_init_once();
  *out = ExchangeResult{};
  CURL* c = curl_easy_init();
  if (!c) return fail(err, ErrorKind::internal, "cannot initialise libcurl");
  State st;
  st.x = &x;
  st.policy = &policy;
  st.curl = c;
  st.out = out;
  set_common_options(c, x, policy, &st);
  const std::string first_origin = url_origin(x.url);
  std::string url = x.url;
  curl_slist* hl = nullptr;
  bool ok = false;
  for (;;) {
    if (!admit_hop(url, policy, &st, err)) break;
    curl_slist_free_all(hl);
    hl = header_list(x.headers, url_origin(url) == first_origin);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    st.first_byte = true;
    st.redirect_body = false;
    out->body.clear();
    CURLcode rc = curl_easy_perform(c);
    out->url = url;
    if (rc != CURLE_OK) {
      if (err) *err = transport_error(rc, st, url);
      break;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    char* next = nullptr;
    curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &next);
    if (!x.follow || !is_redirect(out->status) || !next || !*next) {
      ok = true;
      break;
    }
    if (++out->redirects > policy.max_redirects) {
      fail(err, ErrorKind::too_many_redirects, x.url + ": more than " + std::to_string(policy.max_redirects) + " redirects");
      break;
    }
    url = next;
  }
  curl_slist_free_all(hl);
  curl_easy_cleanup(c);
  return ok;
}

}  // namespace owlet::models
