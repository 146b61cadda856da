#include "models/registry_auth.h"

#include <curl/curl.h>

#include <nlohmann/json.hpp>

#include "common/strings.h"

namespace owlet::models {

bool parse_bearer_challenge(const std::string& challenge, std::map<std::string, std::string>* params, Error* err) {
  if (!istarts_with(challenge, "bearer "))
    return fail(err, ErrorKind::unsupported, "unsupported authentication challenge '" + challenge + "'");
  std::string rest = challenge.substr(7);
  size_t i = 0;
  while (i < rest.size()) {
    size_t eq = rest.find('=', i);
    if (eq == std::string::npos) break;
    std::string key = ascii_lower(trim(std::string_view(rest).substr(i, eq - i)));
    std::string value;
    size_t j = eq + 1;
    if (j < rest.size() && rest[j] == '"') {
      size_t end = rest.find('"', j + 1);
      if (end == std::string::npos) end = rest.size();
      value = rest.substr(j + 1, end - j - 1);
      j = end + 1;
    } else {
      size_t end = rest.find(',', j);
      if (end == std::string::npos) end = rest.size();
      value = std::string(trim(std::string_view(rest).substr(j, end - j)));
      j = end;
    }
    (*params)[key] = value;
    i = rest.find(',', j);
    if (i == std::string::npos) break;
    ++i;
  }
  return true;
}

bool fetch_bearer_token(const std::string& challenge, const GuardPolicy& policy, std::string* token, Error* err) {
  std::map<std::string, std::string> params;
  if (!parse_bearer_challenge(challenge, &params, err)) return false;
  const std::string realm = params["realm"];
  if (realm.empty()) return fail(err, ErrorKind::parse, "authentication challenge without a realm");
  std::string url = realm;
  char sep = realm.find('?') == std::string::npos ? '?' : '&';
  for (const char* k : {"service", "scope"}) {
    if (params[k].empty()) continue;
    char* e = curl_easy_escape(nullptr, params[k].c_str(), static_cast<int>(params[k].size()));
    url += sep + std::string(k) + "=" + (e ? e : "");
    curl_free(e);
    sep = '&';
  }
  Exchange x;
  x.url = url;
  ExchangeResult r;
  Error e;
  if (!exchange(x, policy, &r, &e)) return fail(err, e.kind, "token service: " + e.message);
  nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
  if (r.status != 200 || j.is_discarded() || !j.is_object())
    return fail(err, ErrorKind::http_status, "token service " + realm + " answered HTTP " + std::to_string(r.status));
  auto field = [&](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : ""; };
  *token = field("token");
  if (token->empty()) *token = field("access_token");
  if (token->empty()) return fail(err, ErrorKind::parse, "token service " + realm + " sent no token");
  return true;
}

}  // namespace owlet::models
