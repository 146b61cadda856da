// The chat UI: static files from web/, compiled into the binary by
// cmake/embed_web_assets.cmake, served under /ui/ (and at / to browsers, see
// server.cpp). Each file carries a content-hash ETag and "no-cache", so a
// browser revalidates with one cheap 304 and never runs a stale app.js after
// an upgrade.
#include <cstddef>
#include <string>
#include <string_view>

#include "server/server_context.h"

namespace owlet::server {

// Defined in the generated web_assets.cpp (same declaration there).
struct WebAsset {
  const char* path;
  const unsigned char* data;
  std::size_t size;
  const char* etag;
};
extern const WebAsset kWebAssets[];
extern const std::size_t kWebAssetCount;

namespace {

const WebAsset* find_asset(std::string_view path) {
  for (std::size_t i = 0; i < kWebAssetCount; ++i)
    if (path == kWebAssets[i].path) return &kWebAssets[i];
  return nullptr;
}

const char* content_type_of(std::string_view path) {
  struct Type {
    const char* ext;
    const char* type;
  };
  static const Type kTypes[] = {
      {".html", "text/html; charset=utf-8"},      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},  {".mjs", "text/javascript; charset=utf-8"},
      {".json", "application/json"},              {".svg", "image/svg+xml"},
      {".png", "image/png"},                      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},      {".webmanifest", "application/manifest+json"},
  };
  for (const Type& t : kTypes) {
    std::string_view ext(t.ext);
    if (path.size() >= ext.size() && path.substr(path.size() - ext.size()) == ext) return t.type;
  }
  return "application/octet-stream";
}

// True when `header` (an If-None-Match value, possibly a list) names `etag`.
bool etag_matches(const std::string& header, const char* etag) {
  if (header.empty()) return false;
  return header == "*" || header.find(etag) != std::string::npos;
}

}  // namespace

bool serve_ui_file(const Req& req, Res& res, std::string_view path) {
  const WebAsset* a = find_asset(path);
  if (!a) return false;
  res.set_header("ETag", a->etag);
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Content-Type-Options", "nosniff");
  if (path.size() >= 5 && path.substr(path.size() - 5) == ".html") {
    // The page renders untrusted model and web text: no inline script, no
    // outside resources, nothing may frame it.
    res.set_header("Content-Security-Policy",
                   "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                   "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    res.set_header("Referrer-Policy", "no-referrer");
  }
  if (etag_matches(req.get_header_value("If-None-Match"), a->etag)) {
    res.status = 304;
    return true;
  }
  res.status = 200;
  res.set_content(reinterpret_cast<const char*>(a->data), a->size, content_type_of(path));
  return true;
}

void register_ui_routes(Server::Impl& s) {
  auto& h = s.http;
  h.Get("/ui", [](const Req&, Res& res) { res.set_redirect("/ui/"); });
  h.Get(R"(/ui/(.*))", [](const Req& req, Res& res) {
    std::string path = req.matches[1];
    if (path.empty()) path = "index.html";
    if (!serve_ui_file(req, res, path)) send_error(res, ErrorKind::not_found, "no such UI file: /ui/" + path);
  });
}

}  // namespace owlet::server
