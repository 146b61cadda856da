#include "web/search_provider.h"
#include "common/text.h"

#include <cstdint>

namespace owlet::web {

Error provider_http_error(const std::string& provider, const HttpResponse& r) {
  if (!r.error.ok()) return {r.error.kind, provider + ": " + r.error.message};
  if (r.status < 200 || r.status >= 300)
    return {ErrorKind::http_status, provider + ": HTTP " + std::to_string(r.status)};
  return {};
}

Error SearchProvider::status_error(const HttpResponse&) const { return {}; }

ProviderResponse SearchProvider::parse(const SearchQuery& q, const HttpResponse& resp) const {
  ProviderResponse out{name()};
  if (resp.error.ok() && (out.error = status_error(resp))) return out;
  if ((out.error = provider_http_error(name(), resp))) return out;
  out.error = parse_body(resp.text.empty() ? resp.body : resp.text, out.results);
  if (static_cast<int>(out.results.size()) > q.max_results) out.results.resize(static_cast<size_t>(q.max_results));
  return out;
}

namespace {

}  // namespace

std::string strip_html(std::string_view html) {
  std::string out;
  bool in_tag = false, space = false;
  for (size_t i = 0; i < html.size(); ++i) {
    char c = html[i];
    if (in_tag) {
      if (c == '>') in_tag = false;
      continue;
    }
    if (c == '<') {
      in_tag = true;
      continue;
    }
    std::string piece;
    if (c == '&') {
      size_t semi = html.find(';', i);
      if (semi != std::string_view::npos && semi - i <= 10) {
        std::string_view ent = html.substr(i + 1, semi - i - 1);
        if (ent == "amp") piece = "&";
        else if (ent == "lt") piece = "<";
        else if (ent == "gt") piece = ">";
        else if (ent == "quot") piece = "\"";
        else if (ent == "apos" || ent == "#39") piece = "'";
        else if (ent == "nbsp") piece = " ";
        else if (!ent.empty() && ent[0] == '#') {
          uint32_t cp = 0;
          bool hex = ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X');
          bool ok = ent.size() > (hex ? 2u : 1u);
          for (size_t k = hex ? 2 : 1; k < ent.size() && ok; ++k) {
            char d = ent[k];
            int v = (d >= '0' && d <= '9') ? d - '0' : hex && (d | 32) >= 'a' && (d | 32) <= 'f' ? (d | 32) - 'a' + 10 : -1;
            if (v < 0 || cp > 0x10FFFF) ok = false;
            else cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(v);
          }
          if (ok) utf8_append(&piece, cp);
        }
        if (!piece.empty()) i = semi;
      }
      if (piece.empty()) piece = "&";
    } else {
      piece = std::string(1, c);
    }
    for (char p : piece) {
      if (p == ' ' || p == '\n' || p == '\t' || p == '\r') {
        space = true;
        continue;
      }
      if (space && !out.empty()) out += ' ';
      space = false;
      out += p;
    }
  }
  return out;
}

}  // namespace owlet::web
