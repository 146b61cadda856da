#include "models/pull.h"

#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "common/strings.h"
#include "models/blob_download.h"
#include "models/manifest.h"
#include "models/registry_auth.h"
#include "models/registry_http.h"
#include "models/sha256.h"

namespace owlet::models {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string short_hex(const std::string& hex) { return hex.substr(0, 12); }

std::string strip_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

std::string escape_segments(const std::string& path) {
  std::string out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t p = path.find('/', start);
    std::string seg = path.substr(start, p == std::string::npos ? std::string::npos : p - start);
    char* e = curl_easy_escape(nullptr, seg.c_str(), static_cast<int>(seg.size()));
    out += (out.empty() && start == 0 ? "" : "/") + std::string(e ? e : "");
    curl_free(e);
    if (p == std::string::npos) break;
    start = p + 1;
  }
  return out;
}

bool write_atomic(const std::string& path, const std::string& data, Error* err) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  std::string tmp = path + ".tmp-" + std::to_string(getpid());
  FILE* f = fopen(tmp.c_str(), "wb");
  if (!f) return fail(err, ErrorKind::io, "cannot write " + tmp + ": " + strerror(errno));
  bool ok = fwrite(data.data(), 1, data.size(), f) == data.size() && fflush(f) == 0 && fsync(fileno(f)) == 0;
  ok = fclose(f) == 0 && ok;
  if (ok) ok = rename(tmp.c_str(), path.c_str()) == 0;
  if (!ok) {
    fail(err, ErrorKind::io, "cannot write " + path + ": " + strerror(errno));
    fs::remove(tmp, ec);
  }
  return ok;
}

// True when the store already holds a verified copy of the blob.
bool have_blob(const ModelStore& store, const std::string& hex, uint64_t size) {
  std::string p = store.blob_path(hex);
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return false;
  if (size && fs::file_size(p, ec) != size) return false;
  return verify_blob(p, hex, store.paths().owlet, nullptr);
}

void cleanup_fresh(const std::vector<std::string>& fresh) {
  std::error_code ec;
  for (const auto& p : fresh) fs::remove(p, ec);
}

PullResult fail_pull(PullResult r, ErrorKind kind, const std::string& message) {
  r.error = {kind, message};
  return r;
}

// ---- Ollama registry -----------------------------------------------------------------

struct Registry {
  std::string base;  // https://registry.ollama.ai
  std::string repo;  // <base>/v2/<namespace>/<model>
  std::vector<std::string> auth;  // "Authorization: Bearer …" once the registry asked for it
};

std::string registry_base(const OllamaName& n, const PullOptions& o) {
  std::string base = o.registry;
  if (base.empty())
    base = n.default_host() ? std::string("https://") + kOllamaDefaultHost : (o.insecure ? "http://" : "https://") + n.host;
  return strip_slash(base);
}

// GET <repo>/manifests/<reference>, answering the registry's 401 with the token
// flow once. *text is the manifest, checked against Docker-Content-Digest.
bool fetch_manifest(Registry& reg, const std::string& reference, const std::string& display, PullContext& ctx,
                    std::string* text, Error* err) {
  Exchange x;
  x.url = reg.repo + "/manifests/" + reference;
  x.headers = {std::string("Accept: ") + kMediaTypeManifest + ", " + kMediaTypeManifestList};
  for (const auto& a : reg.auth) x.headers.push_back(a);
  ExchangeResult r;
  Error e;
  if (!exchange(x, ctx.policy, &r, &e))
    return fail(err, e.kind, "cannot fetch the manifest of " + display + ": " + e.message);
  if (r.status == 401 && r.headers.count("www-authenticate") && reg.auth.empty()) {
    std::string token;
    if (!fetch_bearer_token(r.headers["www-authenticate"], ctx.policy, &token, &e))
      return fail(err, e.kind, "registry " + reg.base + " wants authentication for '" + display + "': " + e.message);
    reg.auth.push_back("Authorization: Bearer " + token);
    return fetch_manifest(reg, reference, display, ctx, text, err);
  }
  if (r.status == 404)
    return fail(err, ErrorKind::not_found, "model '" + display + "' not found in registry " + reg.base + " (HTTP 404)");
  if (r.status == 401 || r.status == 403)
    return fail(err, ErrorKind::forbidden, "registry " + reg.base + " refused access to '" + display + "' (HTTP " +
                                               std::to_string(r.status) + ")");
  if (r.status != 200)
    return fail(err, ErrorKind::http_status, "registry " + reg.base + " answered HTTP " + std::to_string(r.status) +
                                                 " for the manifest of " + display);
  if (auto it = r.headers.find("docker-content-digest"); it != r.headers.end()) {
    std::string want = ascii_lower(it->second);
    if (want.rfind("sha256:", 0) == 0 && want != "sha256:" + sha256_hex(r.body))
      return fail(err, ErrorKind::parse, "registry " + reg.base + " sent a manifest for " + display +
                                             " that does not match its Docker-Content-Digest header");
  }
  *text = std::move(r.body);
  return true;
}

// What a pull writes besides the layers: the tag's manifest and, for a manifest
// list whose child is referenced by digest, that child manifest as a blob.
struct ManifestPlan {
  std::string tag_text;    // written at the tag path, last
  std::string child_hex;   // "" unless the child is a separate blob
  std::string child_text;
  Manifest image;          // the image manifest whose layers are pulled
};

bool plan_manifest(Registry& reg, const std::string& display, PullContext& ctx, std::string text, ManifestPlan* plan,
                   Error* err) {
  Manifest top;
  Error e;
  if (!parse_manifest(text, &top, &e))
    return fail(err, e.kind, "registry " + reg.base + " sent a bad manifest for " + display + ": " + e.message);
  plan->tag_text = std::move(text);
  if (!top.is_list) {
    plan->image = std::move(top);
    return true;
  }
  const ManifestChild* c = pick_child(top);
  std::string child = c ? c->inline_json : "";
  if (c && child.empty()) {
    if (!fetch_manifest(reg, "sha256:" + c->hex, display, ctx, &child, err)) return false;
    if (sha256_hex(child) != c->hex)
      return fail(err, ErrorKind::parse, "registry " + reg.base + " sent a child manifest of " + display +
                                             " that does not match its digest");
    plan->child_hex = c->hex;
    plan->child_text = child;
  }
  if (!c || !parse_manifest(child, &plan->image, &e) || plan->image.is_list)
    return fail(err, ErrorKind::parse, "manifest list of " + display + " has no usable child manifest");
  return true;
}

// The layers to download, the GGUF first: it is the large one, and a corrupt one
// stops the pull before anything else lands.
std::vector<Layer> blobs_to_pull(const Manifest& m) {
  std::vector<Layer> blobs;
  std::set<std::string> seen;
  for (const auto& l : m.layers)
    if (seen.insert(l.hex).second) blobs.push_back(l);
  std::stable_partition(blobs.begin(), blobs.end(), [&](const Layer& l) { return l.hex == m.model.hex; });
  return blobs;
}

// Downloads what the store lacks. On a corrupt blob, the blobs this call put in place go again.
bool download_layers(const Registry& reg, const std::vector<Layer>& blobs, const ModelStore& store, PullContext& ctx,
                     Error* err) {
  std::vector<std::string> fresh;
  const std::string blobs_dir = store.paths().owlet + "/blobs";
  for (const auto& b : blobs) {
    if (have_blob(store, b.hex, b.size)) {
      ++ctx.result.skipped_blobs;
      ctx.progress.add(b.size);
      continue;
    }
    if (ctx.options.status)
      ctx.options.status("pulling sha256:" + short_hex(b.hex) + " (" + human_bytes(static_cast<double>(b.size)) + ")");
    BlobDownload d;
    d.url = reg.repo + "/blobs/sha256:" + b.hex;
    d.hex = b.hex;
    d.size = b.size;
    d.blobs_dir = blobs_dir;
    d.partial = blobs_dir + "/sha256-" + b.hex + "-partial";
    d.headers = reg.auth;
    BlobOutcome out = download_blob(d, ctx);
    if (!out.ok()) {
      if (out.corrupt) cleanup_fresh(fresh);
      if (err) *err = out.error;
      return false;
    }
    fresh.push_back(out.final_path);
    remember_verified(out.final_path, out.hex, store.paths().owlet);
  }
  return true;
}

PullResult pull_ollama(const OllamaName& n, PullContext& ctx, const ModelStore& store) {
  PullResult& r = ctx.result;
  r.name = n.display();
  Registry reg;
  reg.base = registry_base(n, ctx.options);
  reg.repo = reg.base + "/v2/" + n.ns + "/" + n.model;
  if (ctx.options.status) ctx.options.status("pulling manifest " + reg.repo + "/manifests/" + n.tag);
  std::string text;
  ManifestPlan plan;
  Error e;
  if (!fetch_manifest(reg, n.tag, n.display(), ctx, &text, &e) ||
      !plan_manifest(reg, n.display(), ctx, std::move(text), &plan, &e))
    return fail_pull(r, e.kind, e.message);
  if (!plan.image.has_model)
    return fail_pull(r, ErrorKind::unsupported,
                     "manifest of " + n.display() + " has no GGUF layer (" + kMediaTypeModel + ")");
  std::vector<Layer> blobs = blobs_to_pull(plan.image);
  for (const auto& b : blobs) r.total_bytes += b.size;
  ctx.progress.set_total(r.total_bytes);
  if (!download_layers(reg, blobs, store, ctx, &e)) return fail_pull(r, e.kind, e.message);
  ctx.progress.flush();
  // The manifest last, atomically: only now does the model exist for list/resolve.
  if ((!plan.child_hex.empty() && !write_atomic(store.blob_path(plan.child_hex), plan.child_text, &e)) ||
      !write_atomic(store.manifest_path(n), plan.tag_text, &e))
    return fail_pull(r, e.kind, e.message);
  r.path = store.blob_path(plan.image.model.hex);
  r.digest = "sha256:" + plan.image.model.hex;
  return r;
}

// ---- Hugging Face --------------------------------------------------------------------

std::string hf_endpoint(const PullOptions& o) {
  std::string endpoint = o.hf_endpoint;
  if (endpoint.empty()) {
    const char* e = std::getenv("HF_ENDPOINT");
    endpoint = e && *e ? e : "https://huggingface.co";
  }
  return strip_slash(endpoint);
}

// What the Hub says about a file before it is downloaded: HEAD without following
// the redirect, since the Hub puts the LFS file's sha256 and size on the redirect
// itself (X-Linked-Etag / X-Linked-Size).
struct HfFile {
  std::string hex;    // "" when not published
  uint64_t size = 0;  // 0 when unknown
};

bool resolve_hf_file(const HfRef& ref, const std::string& url, const std::vector<std::string>& headers,
                     PullContext& ctx, HfFile* out, Error* err) {
  Exchange x;
  x.url = url;
  x.headers = headers;
  x.head = true;
  x.follow = false;
  ExchangeResult h;
  Error e;
  if (!exchange(x, ctx.policy, &h, &e)) return fail(err, e.kind, "cannot reach " + ref.display() + ": " + e.message);
  if (h.status == 401 || h.status == 403)
    return fail(err, ErrorKind::forbidden, ref.display() + ": access denied (HTTP " + std::to_string(h.status) +
                                               "); the repository may be gated or private: set HF_TOKEN");
  if (h.status == 404) return fail(err, ErrorKind::not_found, ref.display() + " not found at " + url + " (HTTP 404)");
  if (h.status >= 400 || h.status < 200)
    return fail(err, ErrorKind::http_status, ref.display() + ": HTTP " + std::to_string(h.status) + " from " + url);
  auto header = [&](const char* k) { return h.headers.count(k) ? h.headers[k] : std::string(); };
  std::string etag = header("x-linked-etag");
  if (etag.empty()) etag = header("etag");
  if (etag.rfind("W/", 0) == 0) etag = etag.substr(2);
  etag.erase(std::remove(etag.begin(), etag.end(), '"'), etag.end());
  out->hex = is_sha256_hex(etag) ? ascii_lower(etag) : "";
  std::string sz = header("x-linked-size");
  if (sz.empty() && h.status == 200) sz = header("content-length");
  if (!sz.empty()) out->size = std::strtoull(sz.c_str(), nullptr, 10);
  return true;
}

// owlet's store lists an HF file like an Ollama model: a config blob and a manifest
// with one GGUF layer, under manifests/huggingface.co/<owner>/<repo>/<file>.
bool write_hf_manifest(const HfRef& ref, const std::string& url, const std::string& hex, uint64_t model_size,
                       const ModelStore& store, Error* err) {
  json config = {{"model_format", "gguf"}, {"source", url}, {"revision", ref.revision}, {"file", ref.file}};
  std::string config_text = config.dump();
  std::string config_hex = sha256_hex(config_text);
  if (!write_atomic(store.blob_path(config_hex), config_text, err)) return false;
  json manifest = {
      {"schemaVersion", 2},
      {"mediaType", kMediaTypeManifest},
      {"config", {{"mediaType", kMediaTypeConfig}, {"digest", "sha256:" + config_hex}, {"size", config_text.size()}}},
      {"layers", json::array({{{"mediaType", kMediaTypeModel}, {"digest", "sha256:" + hex}, {"size", model_size}}})}};
  return write_atomic(store.manifest_path(ModelStore::hf_store_name(ref)), manifest.dump(), err);
}

// The file itself: already in the store (verified), or downloaded. *fresh when this call put it there.
bool fetch_hf_blob(const HfRef& ref, const std::string& url, const std::vector<std::string>& headers,
                   const HfFile& file, PullContext& ctx, const ModelStore& store, std::string* hex, std::string* path,
                   bool* fresh, Error* err) {
  *hex = file.hex;
  *fresh = false;
  if (!hex->empty() && have_blob(store, *hex, file.size)) {
    ++ctx.result.skipped_blobs;
    ctx.progress.add(file.size);
    *path = store.blob_path(*hex);
    return true;
  }
  BlobDownload d;
  d.url = url;
  d.hex = file.hex;
  d.size = file.size;
  d.blobs_dir = store.paths().owlet + "/blobs";
  d.headers = headers;
  // Without a published sha256 the partial file is named after the URL, and the blob after
  // the sha256 computed while downloading.
  d.partial = d.blobs_dir + "/" + (hex->empty() ? "hf-" + sha256_hex(url).substr(0, 32) : "sha256-" + *hex) + "-partial";
  if (ctx.options.status)
    ctx.options.status("pulling " + ref.file +
                       (file.size ? " (" + human_bytes(static_cast<double>(file.size)) + ")" : ""));
  BlobOutcome out = download_blob(d, ctx);
  if (!out.ok()) {
    if (err) *err = out.error;
    return false;
  }
  *hex = out.hex;
  *path = out.final_path;
  *fresh = true;
  remember_verified(*path, *hex, store.paths().owlet);
  return true;
}

PullResult pull_hf(const HfRef& ref, PullContext& ctx, const ModelStore& store) {
  PullResult& r = ctx.result;
  const PullOptions& o = ctx.options;
  r.name = ref.display();
  std::string token = o.hf_token;
  if (token.empty())
    if (const char* t = std::getenv("HF_TOKEN"); t && *t) token = t;
  std::vector<std::string> headers;
  if (!token.empty()) headers.push_back("Authorization: Bearer " + token);  // dropped on cross-origin redirects
  std::string url = hf_endpoint(o) + "/" + ref.owner + "/" + ref.repo + "/resolve/" + escape_segments(ref.revision) +
                    "/" + escape_segments(ref.file);
  if (o.status) o.status("resolving " + url);
  HfFile file;
  std::string hex, model_path;
  bool fresh = false;
  Error e;
  if (!resolve_hf_file(ref, url, headers, ctx, &file, &e)) return fail_pull(r, e.kind, e.message);
  r.total_bytes = file.size;
  ctx.progress.set_total(file.size);
  if (!fetch_hf_blob(ref, url, headers, file, ctx, store, &hex, &model_path, &fresh, &e))
    return fail_pull(r, e.kind, e.message);
  std::error_code ec;
  uint64_t model_size = fs::file_size(model_path, ec);
  ctx.progress.flush();
  if (!write_hf_manifest(ref, url, hex, model_size, store, &e)) {
    if (fresh) fs::remove(model_path, ec);
    return fail_pull(r, e.kind, e.message);
  }
  r.path = model_path;
  r.digest = "sha256:" + hex;
  if (!r.total_bytes) r.total_bytes = model_size;
  return r;
}

// The guard for one pull: the caller's policy, plus the registry or endpoint the
// caller (or HF_ENDPOINT) named explicitly — the user's own mirror, not a place a
// name or a server's answer chose.
GuardPolicy guard_for(const ModelRef& ref, const PullOptions& o) {
  GuardPolicy g;
  g.ssrf = o.ssrf;
  g.insecure = o.insecure;
  std::string trusted;
  if (ref.kind == ModelRef::Kind::ollama) trusted = o.registry;
  else if (!o.hf_endpoint.empty() || std::getenv("HF_ENDPOINT")) trusted = hf_endpoint(o);
  if (!trusted.empty() && !url_host(trusted).empty()) g.ssrf.allow_hosts.push_back(url_host(trusted));
  return g;
}

}  // namespace

PullResult pull_model(const std::string& text, const PullOptions& options) {
  PullResult r;
  ModelRef ref;
  if (!parse_model_ref(text, &ref, &r.error, PathRule::syntax)) return r;
  if (ref.kind == ModelRef::Kind::path)
    return fail_pull(r, ErrorKind::bad_request,
                     "'" + text + "' looks like a file path; pull takes an Ollama name (qwen2.5:0.5b) or hf://owner/repo/file.gguf");
  StorePaths paths = default_store_paths();
  if (!options.store_dir.empty()) paths.owlet = options.store_dir;
  ModelStore store(paths);
  PullProgress progress(options.progress, 0);
  PullContext ctx{options, guard_for(ref, options), progress, r};
  if (ref.kind == ModelRef::Kind::hf) return pull_hf(ref.hf, ctx, store);
  return pull_ollama(ref.ollama, ctx, store);
}

}  // namespace owlet::models
