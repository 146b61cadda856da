#include "web/url.h"
#include "common/strings.h"

#include <curl/curl.h>

#include <algorithm>
#include <memory>

namespace owlet::web {
namespace {

struct UrlHandleDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
using UrlHandle = std::unique_ptr<CURLU, UrlHandleDeleter>;

// Reads one part; empty when absent.
std::string get_part(CURLU* u, CURLUPart part, unsigned flags = 0) {
  char* out = nullptr;
  if (curl_url_get(u, part, &out, flags) != CURLUE_OK || out == nullptr) return {};
  std::string s(out);
  curl_free(out);
  return s;
}

UrlHandle parse_handle(std::string_view text) {
  UrlHandle u(curl_url());
  std::string s(text);
  if (!u || curl_url_set(u.get(), CURLUPART_URL, s.c_str(), 0) != CURLUE_OK) return nullptr;
  return u;
}

}  // namespace

UrlParse parse_url(std::string_view text) {
  UrlParse r;
  UrlHandle u = parse_handle(text);
  if (!u) {
    r.error = {ErrorKind::invalid_url, "cannot parse URL: " + std::string(text.substr(0, 200))};
    return r;
  }
  r.url.scheme = ascii_lower(get_part(u.get(), CURLUPART_SCHEME));
  if (r.url.scheme != "http" && r.url.scheme != "https") {
    r.error = {ErrorKind::invalid_url, "scheme '" + r.url.scheme + "' is not allowed (http/https only)"};
    return r;
  }
  r.url.host = ascii_lower(get_part(u.get(), CURLUPART_HOST));
  if (r.url.host.size() >= 2 && r.url.host.front() == '[' && r.url.host.back() == ']')
    r.url.host = r.url.host.substr(1, r.url.host.size() - 2);
  if (r.url.host.empty()) {
    r.error = {ErrorKind::invalid_url, "URL has no host"};
    return r;
  }
  std::string port = get_part(u.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  r.url.port = port.empty() ? (r.url.scheme == "https" ? 443 : 80) : std::atoi(port.c_str());
  r.url.path = get_part(u.get(), CURLUPART_PATH);
  if (r.url.path.empty()) r.url.path = "/";
  r.url.query = get_part(u.get(), CURLUPART_QUERY);
  r.url.fragment = get_part(u.get(), CURLUPART_FRAGMENT);
  return r;
}

std::string resolve_url(std::string_view base, std::string_view ref) {
  UrlHandle u = parse_handle(base);
  if (!u) return {};
  std::string r(ref);
  // Leading/trailing whitespace in href attributes is common and harmless.
  r.erase(0, r.find_first_not_of(" \t\r\n"));
  r.erase(r.find_last_not_of(" \t\r\n") + 1);
  if (curl_url_set(u.get(), CURLUPART_URL, r.c_str(), CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) return {};
  return get_part(u.get(), CURLUPART_URL);
}

bool is_tracking_param(std::string_view name) {
  std::string n = ascii_lower(std::string(name));
  if (n.rfind("utm_", 0) == 0) return true;
  static const char* const kTracking[] = {"gclid", "dclid", "gbraid", "wbraid", "fbclid", "msclkid", "yclid",
                                          "mc_cid", "mc_eid", "_ga", "_gl", "igshid", "mkt_tok", "oly_anon_id",
                                          "oly_enc_id", "vero_id", "_hsenc", "_hsmi", "ref_src", "srsltid"};
  return std::find(std::begin(kTracking), std::end(kTracking), n) != std::end(kTracking);
}

std::string canonicalize_url(std::string_view url) {
  UrlParse p = parse_url(url);
  if (!p.error.ok()) return {};
  const Url& u = p.url;
  std::string out = u.scheme + "://";
  out += u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host;
  bool default_port = (u.scheme == "http" && u.port == 80) || (u.scheme == "https" && u.port == 443);
  if (!default_port) out += ":" + std::to_string(u.port);
  out += u.path;
  std::string kept;
  size_t pos = 0;
  while (pos <= u.query.size() && !u.query.empty()) {
    size_t amp = u.query.find('&', pos);
    if (amp == std::string::npos) amp = u.query.size();
    std::string_view param(u.query.data() + pos, amp - pos);
    std::string_view name = param.substr(0, param.find('='));
    if (!param.empty() && !is_tracking_param(name)) {
      if (!kept.empty()) kept += '&';
      kept += param;
    }
    pos = amp + 1;
  }
  if (!kept.empty()) out += "?" + kept;
  return out;
}

std::string url_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string url_decode(std::string_view s) {
  auto hexval = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += s[i] == '+' ? ' ' : s[i];
  }
  return out;
}

}  // namespace owlet::web
