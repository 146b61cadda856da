#include "server/intake.h"

#include <nlohmann/json.hpp>

#include "common/strings.h"
#include "server/json_nesting.h"
#include "server/request_auth.h"

namespace owlet::server {
namespace {

using json = nlohmann::json;

// The UI's static files carry no secrets, and a browser opening the page cannot
// send a Bearer header; the API calls it then makes do.
bool is_ui_asset(const httplib::Request& req) {
  return req.method == "GET" && (req.path == "/" || req.path == "/ui" || req.path.rfind("/ui/", 0) == 0);
}

bool needs_key(const httplib::Request& req, const IntakePolicy& p) {
  return !p.api_key.empty() && req.path != "/health" && !is_ui_asset(req);
}

// The encodings httplib decodes before the body reaches the intake's counter.
bool decodable_encoding(const std::string& e) {
  return e.empty() || e == "identity" || e == "gzip" || e == "deflate" || e == "br";
}

std::vector<std::string> header_values(const httplib::Request& req, const char* name) {
  std::vector<std::string> out;
  auto range = req.headers.equal_range(name);  // httplib's header map compares names case-insensitively
  for (auto it = range.first; it != range.second; ++it) out.push_back(it->second);
  return out;
}

HeadVerdict refuse(HeadVerdict v, int status, std::string error) {
  v.status = status;
  v.error = std::move(error);
  return v;
}

void add_cors(HeadVerdict& v, const std::string& origin) {
  v.headers.emplace_back("Access-Control-Allow-Origin", origin);
  v.headers.emplace_back("Vary", "Origin");
  v.headers.emplace_back("Access-Control-Allow-Headers", "Authorization, Content-Type");
  v.headers.emplace_back("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS");
}

HeadVerdict check_key(const httplib::Request& req, const IntakePolicy& p, HeadVerdict v) {
  switch (check_bearer(header_values(req, "Authorization"), p.api_key)) {
    case AuthVerdict::ok: return v;
    case AuthVerdict::duplicate: return refuse(std::move(v), 400, "more than one Authorization header");
    case AuthVerdict::missing:
    case AuthVerdict::malformed:
    case AuthVerdict::wrong: break;
  }
  v.headers.emplace_back("WWW-Authenticate", "Bearer");
  return refuse(std::move(v), 401, "missing or invalid API key");
}

// The model names a JSON body carries: "model" anywhere, Ollama's older
// "name" on the routes that take one, and create's "from" and copy's
// "source" and "destination".
bool check_names(const httplib::Request& req, const json& j, const IntakePolicy& p, Error* err) {
  auto str = [&](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : ""; };
  std::vector<std::string> names = {str("model")};
  const bool named = req.path == "/api/pull" || req.path == "/api/show" || req.path == "/api/delete" ||
                     req.path == "/api/create";
  if (named) names.push_back(str("name"));
  // A served model's own name may be a configured path; the handler maps it to its file.
  if (req.path == "/api/create" && !str("from").empty()) names.push_back(str("from"));
  if (req.path == "/api/copy") {
    names.push_back(str("source"));
    names.push_back(str("destination"));
  }
  for (const auto& n : names) {
    if (n.empty()) continue;
    if (req.path == "/api/pull") {
      bool insecure = j.contains("insecure") && j["insecure"].is_boolean() && j["insecure"].get<bool>();
      if (!check_pull_request(n, insecure, p.models, err)) return false;
    } else if (!check_model_name(n, p.models, err)) {
      return false;
    }
  }
  return true;
}

}  // namespace

HeadVerdict check_head(const httplib::Request& req, const IntakePolicy& p, bool stopping) {
  HeadVerdict v;
  if (stopping) return refuse(std::move(v), 503, "the server is shutting down");  // the 503 carries Retry-After
  const std::string host = req.get_header_value("Host");
  if (header_values(req, "Host").size() > 1) return refuse(std::move(v), 400, "more than one Host header");
  if (!host_allowed(host, p.origins))
    return refuse(std::move(v), 403, "Host '" + host + "' is not allowed (config allowed_hosts)");
  if (req.has_header("Origin")) {
    const std::string origin = req.get_header_value("Origin");
    if (header_values(req, "Origin").size() > 1 || !origin_allowed(origin, host, p.origins))
      return refuse(std::move(v), 403, "Origin '" + origin + "' is not allowed (config allowed_origins)");
    add_cors(v, origin);
  }
  if (req.method == "OPTIONS") return refuse(std::move(v), 204, "");
  // Exactly as httplib spells them: it decodes "gzip", not "GZIP", and would pass
  // anything else through undecoded.
  const std::string encoding(trim(req.get_header_value("Content-Encoding")));
  if (header_values(req, "Content-Encoding").size() > 1 || !decodable_encoding(encoding))
    return refuse(std::move(v), 415, "Content-Encoding must be gzip, deflate or br");
  if (needs_key(req, p)) return check_key(req, p, std::move(v));
  return v;
}

bool read_body(const httplib::Request& req, const httplib::ContentReader& reader, const IntakePolicy& p,
               httplib::Request* full, Error* err) {
  BodyCollector c(p.body);
  bool ok = req.is_multipart_form_data()
                ? reader([&](const httplib::MultipartFormData& head) { return c.begin_part(head); },
                         [&](const char* d, size_t n) { return c.append_part(d, n); })
                : reader([&](const char* d, size_t n) { return c.append(d, n); });
  if (!c.error().ok()) return fail(err, c.error().kind, c.error().message);
  if (!ok) return fail(err, ErrorKind::bad_request, "request body could not be read (bad framing, encoding or multipart)");
  *full = req;
  full->body = std::move(c.body());
  full->files = std::move(c.files());
  return true;
}

bool check_body(const httplib::Request& req, const IntakePolicy& p, Error* err) {
  if (req.is_multipart_form_data() || req.body.empty()) return true;
  if (!check_json_nesting(req.body, p.max_json_depth, err)) return false;
  json j = json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return true;  // the handler says what is wrong with it
  return check_names(req, j, p, err);
}

}  // namespace owlet::server
