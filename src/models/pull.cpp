#include "models/pull.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "models/sha256.h"

namespace owlet::models {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr const char* kUserAgent = "owlet/0.1.0";
constexpr size_t kMaxManifestBytes = 4 << 20;

void curl_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), ::tolower);
  return s;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

std::string short_hex(const std::string& hex) { return hex.substr(0, 12); }

std::string human_bytes(uint64_t n) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  double b = static_cast<double>(n);
  int u = 0;
  while (b >= 1000 && u < 4) {
    b /= 1000;
    ++u;
  }
  char buf[32];
  snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", b, units[u]);
  return buf;
}

// Progress over all blobs of one pull, throttled, with a rate over the last few seconds.
class Progress {
 public:
  Progress(const PullProgressFn& fn, uint64_t total) : fn_(fn), total_(total) {}
  void set_total(uint64_t t) { total_ = t; }
  void add(uint64_t n, bool force = false) {
    done_ += n;
    auto now = Clock::now();
    if (!fn_) return;
    if (!force && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    samples_.push_back({now, done_});
    while (samples_.size() > 2 && now - samples_.front().first > std::chrono::seconds(3)) samples_.pop_front();
    double rate = 0;
    if (samples_.size() >= 2) {
      double secs = std::chrono::duration<double>(samples_.back().first - samples_.front().first).count();
      if (secs > 0) rate = static_cast<double>(samples_.back().second - samples_.front().second) / secs;
    }
    fn_(std::min(done_, std::max(total_, done_)), std::max(total_, done_), rate);
  }
  void flush() { add(0, true); }
  void rewind(uint64_t n) { done_ -= std::min(done_, n); }

 private:
  const PullProgressFn& fn_;
  uint64_t total_ = 0;
  uint64_t done_ = 0;
  Clock::time_point last_{};
  std::deque<std::pair<Clock::time_point, uint64_t>> samples_;
};

struct HttpResponse {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-cased names, last response only
  std::string effective_url;
};

size_t header_cb(char* data, size_t size, size_t n, void* user) {
  auto* h = static_cast<std::map<std::string, std::string>*>(user);
  std::string line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) h->clear();  // a new response (after a redirect)
  size_t colon = line.find(':');
  if (colon != std::string::npos) (*h)[lower(trim(line.substr(0, colon)))] = trim(line.substr(colon + 1));
  return size * n;
}

void apply_common(CURL* c, const PullOptions& o) {
  curl_easy_setopt(c, CURLOPT_USERAGENT, kUserAgent);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);  // a stalled transfer fails after a minute
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, o.insecure ? "http,https" : "https,http");
  // Registries redirect blobs to a CDN; never downgrade a redirect to plain http unless --insecure.
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, o.insecure ? "http,https" : "https");
  if (o.insecure) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
}

size_t body_cb(char* data, size_t size, size_t n, void* user) {
  auto* s = static_cast<std::string*>(user);
  if (s->size() + size * n > kMaxManifestBytes) return 0;
  s->append(data, size * n);
  return size * n;
}

bool http_request(const std::string& url, const std::vector<std::string>& headers, bool head, bool follow,
                  const PullOptions& o, HttpResponse* r, std::string* err) {
  curl_init_once();
  CURL* c = curl_easy_init();
  if (!c) {
    *err = "cannot initialise libcurl";
    return false;
  }
  curl_slist* hl = nullptr;
  for (const auto& h : headers) hl = curl_slist_append(hl, h.c_str());
  apply_common(c, o);
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, follow ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_NOBODY, head ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_cb);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r->headers);
  CURLcode rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
  char* eff = nullptr;
  curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &eff);
  if (eff) r->effective_url = eff;
  curl_slist_free_all(hl);
  curl_easy_cleanup(c);
  if (rc != CURLE_OK) {
    *err = url + ": " + curl_easy_strerror(rc);
    return false;
  }
  return true;
}

bool write_atomic(const std::string& path, const std::string& data, std::string* err) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  std::string tmp = path + ".tmp-" + std::to_string(getpid());
  FILE* f = fopen(tmp.c_str(), "wb");
  if (!f) {
    *err = "cannot write " + tmp + ": " + strerror(errno);
    return false;
  }
  bool ok = fwrite(data.data(), 1, data.size(), f) == data.size() && fflush(f) == 0 && fsync(fileno(f)) == 0;
  ok = fclose(f) == 0 && ok;
  if (ok) ok = rename(tmp.c_str(), path.c_str()) == 0;
  if (!ok) {
    *err = "cannot write " + path + ": " + strerror(errno);
    fs::remove(tmp, ec);
  }
  return ok;
}

// ---- one blob download with resume and verification ----------------------------------

struct Download {
  std::string url;
  std::string hex;        // expected sha256; empty = unknown (computed, then named by it)
  uint64_t size = 0;      // expected size; 0 = unknown
  std::string partial;    // <store>/blobs/...-partial
  std::string blobs_dir;
  std::vector<std::string> headers;
};

struct DownloadOutcome {
  bool ok = false;
  bool cancelled = false;
  bool corrupt = false;  // digest or size mismatch: nothing kept
  std::string error;
  std::string hex;        // the verified digest
  std::string final_path;
};

struct Transfer {
  FILE* f = nullptr;
  Sha256* hash = nullptr;
  uint64_t offset = 0;     // bytes in the partial file before this request
  uint64_t written = 0;    // bytes written in this request
  uint64_t expected = 0;
  bool started = false;
  bool http_error = false;
  bool too_big = false;
  bool bad_range = false;
  long status = 0;
  CURL* curl = nullptr;
  std::map<std::string, std::string>* headers = nullptr;
  Progress* progress = nullptr;
  PullResult* result = nullptr;
  const std::atomic<bool>* cancel = nullptr;
  std::string error_body;
};

size_t download_cb(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  if (!t->started) {
    t->started = true;
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &t->status);
    if (t->status >= 400 || t->status < 200) t->http_error = true;
    if (!t->http_error && t->offset > 0) {
      if (t->status == 206) {
        // Content-Range: bytes <start>-<end>/<total> must start where the partial file ends.
        std::string cr = (*t->headers)["content-range"];
        unsigned long long start = 0;
        if (sscanf(cr.c_str(), "bytes %llu-", &start) != 1 || start != t->offset) {
          t->bad_range = true;
          return 0;
        }
      } else {
        // The server ignored Range: start over from byte 0.
        if (ftruncate(fileno(t->f), 0) != 0 || fseeko(t->f, 0, SEEK_SET) != 0) return 0;
        t->progress->rewind(t->offset);
        t->hash->final_hex();  // resets
        t->offset = 0;
      }
    }
  }
  if (t->http_error) {
    if (t->error_body.size() < 512) t->error_body.append(data, std::min<size_t>(len, 512));
    return len;
  }
  if (t->expected && t->offset + t->written + len > t->expected) {
    t->too_big = true;
    return 0;
  }
  if (fwrite(data, 1, len, t->f) != len) return 0;
  t->hash->update(data, len);
  t->written += len;
  t->result->downloaded_bytes += len;
  t->progress->add(len);
  return len;
}

int xferinfo_cb(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  return t->cancel && t->cancel->load() ? 1 : 0;
}

uint64_t file_size_or_zero(const std::string& p) {
  std::error_code ec;
  auto s = fs::file_size(p, ec);
  return ec ? 0 : s;
}

DownloadOutcome download_blob(const Download& d, const PullOptions& o, Progress& progress, PullResult& result) {
  DownloadOutcome out;
  std::error_code ec;
  fs::create_directories(d.blobs_dir, ec);
  std::string what = d.hex.empty() ? d.url : "sha256:" + short_hex(d.hex);
  // One downloader per partial file: a second `owlet pull` of the same blob fails fast instead of
  // interleaving writes (the lock goes away with the process, so a crash never leaves it stuck).
  int lock_fd = open(d.partial.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0) {
    out.error = "cannot write " + d.partial + ": " + strerror(errno);
    return out;
  }
  struct LockGuard {
    int fd;
    std::string path;
    bool locked = false;
    ~LockGuard() {
      std::error_code e;
      if (locked && fs::exists(path, e) && fs::file_size(path, e) == 0) fs::remove(path, e);  // nothing to resume
      close(fd);
    }
  } guard{lock_fd, d.partial, false};
  if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    out.error = "another owlet pull is already downloading " + what + " (" + d.partial + ")";
    return out;
  }
  guard.locked = true;
  if (d.size) {
    struct statvfs vfs {};
    uint64_t have = file_size_or_zero(d.partial);
    if (statvfs(d.blobs_dir.c_str(), &vfs) == 0 && d.size > have) {
      uint64_t free_bytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
      if (free_bytes < d.size - have) {
        out.error = "not enough disk space in " + d.blobs_dir + " for " + what + ": need " +
                    human_bytes(d.size - have) + ", " + human_bytes(free_bytes) + " free";
        if (have == 0) fs::remove(d.partial, ec);
        return out;
      }
    }
  }
  int attempts = std::max(0, o.max_retries) + 1;
  bool counted_existing = false;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    uint64_t offset = file_size_or_zero(d.partial);
    if (d.size && offset > d.size) {
      fs::remove(d.partial, ec);
      offset = 0;
    }
    Sha256 hash;
    if (offset > 0) {
      std::string e;
      if (!sha256_update_from_file(hash, d.partial, offset, &e)) {
        fs::remove(d.partial, ec);
        offset = 0;
        hash.final_hex();
      }
    }
    if (!counted_existing) {
      progress.add(offset);  // bytes already on disk from an earlier attempt count as done
      counted_existing = true;
    }
    bool complete = d.size && offset == d.size;
    if (!complete) {
      FILE* f = fopen(d.partial.c_str(), offset ? "r+b" : "wb");
      if (!f) {
        out.error = "cannot write " + d.partial + ": " + strerror(errno);
        return out;
      }
      fseeko(f, static_cast<off_t>(offset), SEEK_SET);
      curl_init_once();
      CURL* c = curl_easy_init();
      std::map<std::string, std::string> headers;
      Transfer t;
      t.f = f;
      t.hash = &hash;
      t.offset = offset;
      t.expected = d.size;
      t.curl = c;
      t.headers = &headers;
      t.progress = &progress;
      t.result = &result;
      t.cancel = o.cancel;
      curl_slist* hl = nullptr;
      for (const auto& h : d.headers) hl = curl_slist_append(hl, h.c_str());
      apply_common(c, o);
      curl_easy_setopt(c, CURLOPT_URL, d.url.c_str());
      curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
      curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
      std::string range = std::to_string(offset) + "-";
      if (offset > 0) {
        curl_easy_setopt(c, CURLOPT_RANGE, range.c_str());  // "Range: bytes=<offset>-", kept across redirects
        ++result.resumed;
      }
      curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, download_cb);
      curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
      curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
      curl_easy_setopt(c, CURLOPT_HEADERDATA, &headers);
      curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
      curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, xferinfo_cb);
      curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
      CURLcode rc = curl_easy_perform(c);
      long status = 0;
      curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
      curl_slist_free_all(hl);
      curl_easy_cleanup(c);
      bool flushed = fflush(f) == 0 && fsync(fileno(f)) == 0;
      fclose(f);
      if (!t.started) t.status = status;
      if (rc == CURLE_ABORTED_BY_CALLBACK && o.cancel && o.cancel->load()) {
        out.cancelled = true;
        out.error = "pull cancelled; " + std::to_string(file_size_or_zero(d.partial)) +
                    " bytes kept in " + d.partial + " for the next pull to resume";
        return out;
      }
      if (t.too_big || (status == 200 && d.size && file_size_or_zero(d.partial) > d.size)) {
        fs::remove(d.partial, ec);
        out.corrupt = true;
        out.error = "blob " + what + " from " + d.url + " is larger than the manifest's " + std::to_string(d.size) +
                    " bytes; download deleted";
        return out;
      }
      if (t.http_error || (rc == CURLE_OK && (status < 200 || status >= 300))) {
        long code = t.status ? t.status : status;
        if (code == 416 && offset > 0) {  // our partial file is not a prefix the server knows: start over
          fs::remove(d.partial, ec);
          out.error = "the server refused to resume " + what + " (HTTP 416); partial download deleted, pull again";
          continue;
        }
        out.error = "HTTP " + std::to_string(code) + " fetching blob " + what + " from " + d.url;
        return out;
      }
      if (t.bad_range) {
        fs::remove(d.partial, ec);
        out.error = "server answered the resume of " + what + " with a mismatched Content-Range; partial download deleted";
        continue;
      }
      if (rc != CURLE_OK || !flushed || (d.size && file_size_or_zero(d.partial) < d.size)) {
        uint64_t have = file_size_or_zero(d.partial);
        out.error = "download of " + what + " interrupted at " + std::to_string(have) + " of " +
                    (d.size ? std::to_string(d.size) : std::string("?")) + " bytes (" +
                    (rc != CURLE_OK ? curl_easy_strerror(rc) : "connection closed early") +
                    "); run the same pull again to resume";
        if (attempt + 1 < attempts) {
          if (o.status) o.status("connection dropped at " + std::to_string(have) + " bytes; resuming");
          std::this_thread::sleep_for(std::chrono::milliseconds(o.retry_delay_ms * (attempt + 1)));
        }
        continue;
      }
    }
    std::string got = hash.final_hex();
    if (!d.hex.empty() && got != d.hex) {
      fs::remove(d.partial, ec);
      out.corrupt = true;
      out.error = "blob sha256:" + short_hex(d.hex) + "… from " + d.url + " failed verification (its sha256 is " +
                  short_hex(got) + "…); download deleted";
      return out;
    }
    out.hex = got;
    out.final_path = d.blobs_dir + "/sha256-" + got;
    if (rename(d.partial.c_str(), out.final_path.c_str()) != 0) {
      out.error = "cannot move " + d.partial + " into place: " + strerror(errno);
      return out;
    }
    out.ok = true;
    out.error.clear();
    return out;
  }
  if (out.error.empty()) out.error = "download of " + what + " failed";
  return out;
}

// ---- helpers shared by both sources --------------------------------------------------

bool check_url(const std::string& url, const PullOptions& o, const char* what, std::string* err) {
  std::string l = lower(url);
  if (l.rfind("https://", 0) == 0) return true;
  if (l.rfind("http://", 0) == 0) {
    if (o.insecure) return true;
    *err = std::string(what) + " " + url + " is plain http; pass --insecure to allow it";
    return false;
  }
  *err = std::string(what) + " '" + url + "' is not an http(s) URL";
  return false;
}

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

// True when the store already holds a verified copy of the blob.
bool have_blob(const ModelStore& store, const std::string& hex, uint64_t size) {
  std::string p = store.blob_path(hex);
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return false;
  if (size && fs::file_size(p, ec) != size) return false;
  std::string e;
  return verify_blob(p, hex, store.paths().owlet, &e);
}

void cleanup_fresh(const std::vector<std::string>& fresh) {
  std::error_code ec;
  for (const auto& p : fresh) fs::remove(p, ec);
}

PullResult fail(PullResult r, const std::string& e) {
  r.ok = false;
  r.error = e;
  return r;
}

// ---- Ollama registry -----------------------------------------------------------------

// The Docker registry token flow for a 401 answer: WWW-Authenticate: Bearer realm="…",service="…",
// scope="…" → GET realm?service=…&scope=… → {"token": "…"} (anonymous; no credentials are sent).
bool fetch_bearer_token(const std::string& challenge, const PullOptions& o, std::string* token, std::string* err) {
  if (lower(challenge.substr(0, 7)) != "bearer ") {
    *err = "unsupported authentication challenge '" + challenge + "'";
    return false;
  }
  std::map<std::string, std::string> params;
  std::string rest = challenge.substr(7);
  size_t i = 0;
  while (i < rest.size()) {
    size_t eq = rest.find('=', i);
    if (eq == std::string::npos) break;
    std::string key = lower(trim(rest.substr(i, eq - i)));
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
      value = trim(rest.substr(j, end - j));
      j = end;
    }
    params[key] = value;
    i = rest.find(',', j);
    if (i == std::string::npos) break;
    ++i;
  }
  std::string realm = params["realm"];
  if (realm.empty() || !check_url(realm, o, "token service", err)) {
    if (err->empty()) *err = "authentication challenge without a realm";
    return false;
  }
  std::string url = realm;
  char sep = realm.find('?') == std::string::npos ? '?' : '&';
  for (const char* k : {"service", "scope"}) {
    if (params[k].empty()) continue;
    char* e = curl_easy_escape(nullptr, params[k].c_str(), static_cast<int>(params[k].size()));
    url += sep + std::string(k) + "=" + (e ? e : "");
    curl_free(e);
    sep = '&';
  }
  HttpResponse r;
  if (!http_request(url, {}, false, true, o, &r, err)) return false;
  json j = json::parse(r.body, nullptr, false);
  if (r.status != 200 || j.is_discarded() || !j.is_object()) {
    *err = "token service " + realm + " answered HTTP " + std::to_string(r.status);
    return false;
  }
  *token = j.value("token", j.value("access_token", ""));
  if (token->empty()) {
    *err = "token service " + realm + " sent no token";
    return false;
  }
  return true;
}

PullResult pull_ollama(const OllamaName& n, const PullOptions& o, const ModelStore& store) {
  PullResult r;
  r.name = n.display();
  std::string base = o.registry;
  if (base.empty()) {
    base = n.default_host() ? std::string("https://") + kOllamaDefaultHost
                            : (o.insecure ? "http://" : "https://") + n.host;
  }
  base = strip_slash(base);
  std::string err;
  if (!check_url(base, o, "registry", &err)) return fail(r, err);
  std::string repo = base + "/v2/" + n.ns + "/" + n.model;
  if (o.status) o.status("pulling manifest " + repo + "/manifests/" + n.tag);
  HttpResponse mr;
  std::vector<std::string> headers = {std::string("Accept: ") + kMediaTypeManifest};
  if (!http_request(repo + "/manifests/" + n.tag, headers, false, true, o, &mr, &err))
    return fail(r, "cannot fetch the manifest of " + n.display() + ": " + err);
  std::vector<std::string> auth;  // Authorization for blob requests too (curl drops it on cross-host redirects)
  if (mr.status == 401 && mr.headers.count("www-authenticate")) {
    std::string token;
    if (!fetch_bearer_token(mr.headers["www-authenticate"], o, &token, &err))
      return fail(r, "registry " + base + " wants authentication for '" + n.display() + "': " + err);
    auth.push_back("Authorization: Bearer " + token);
    headers.push_back(auth.back());
    mr = HttpResponse{};
    if (!http_request(repo + "/manifests/" + n.tag, headers, false, true, o, &mr, &err))
      return fail(r, "cannot fetch the manifest of " + n.display() + ": " + err);
  }
  if (mr.status == 404) return fail(r, "model '" + n.display() + "' not found in registry " + base + " (HTTP 404)");
  if (mr.status == 401 || mr.status == 403)
    return fail(r, "registry " + base + " refused access to '" + n.display() + "' (HTTP " + std::to_string(mr.status) + ")");
  if (mr.status != 200)
    return fail(r, "registry " + base + " answered HTTP " + std::to_string(mr.status) + " for the manifest of " +
                       n.display());
  if (auto it = mr.headers.find("docker-content-digest"); it != mr.headers.end()) {
    std::string want = lower(it->second);
    if (want.rfind("sha256:", 0) == 0 && want != "sha256:" + sha256_hex(mr.body))
      return fail(r, "registry " + base + " sent a manifest for " + n.display() +
                         " that does not match its Docker-Content-Digest header");
  }
  json j = json::parse(mr.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail(r, "registry " + base + " sent a manifest that is not JSON");
  if (j.value("mediaType", "") == kMediaTypeManifestList)
    return fail(r, n.display() + " is a manifest list (several runner-specific models); owlet cannot pull those yet");
  struct Blob {
    std::string hex;
    uint64_t size;
    bool model;
  };
  std::vector<Blob> blobs;
  std::set<std::string> seen;
  std::string model_hex;
  auto add = [&](const json& l) -> bool {
    if (!l.is_object()) return false;
    std::string d = l.value("digest", "");
    if (d.rfind("sha256:", 0) != 0 || !is_sha256_hex(d.substr(7))) return false;
    std::string hex = lower(d.substr(7));
    uint64_t size = l.contains("size") && l["size"].is_number_unsigned() ? l["size"].get<uint64_t>() : 0;
    bool is_model = l.value("mediaType", "").rfind(kMediaTypeModel, 0) == 0;
    if (is_model && model_hex.empty()) model_hex = hex;
    if (seen.insert(hex).second) blobs.push_back({hex, size, is_model});
    return true;
  };
  if (j.contains("config") && !add(j["config"])) return fail(r, "manifest of " + n.display() + " has a bad config digest");
  if (!j.contains("layers") || !j["layers"].is_array()) return fail(r, "manifest of " + n.display() + " has no layers");
  for (const auto& l : j["layers"])
    if (!add(l)) return fail(r, "manifest of " + n.display() + " has a layer without a sha256 digest");
  if (model_hex.empty())
    return fail(r, "manifest of " + n.display() + " has no GGUF layer (" + kMediaTypeModel + ")");
  for (const auto& b : blobs) r.total_bytes += b.size;

  Progress progress(o.progress, r.total_bytes);
  std::vector<std::string> fresh;  // blobs this call put in place (removed again if the pull fails on bad data)
  std::string blobs_dir = store.paths().owlet + "/blobs";
  // The GGUF first: it is the large one, and a corrupt one stops the pull before anything else lands.
  std::stable_sort(blobs.begin(), blobs.end(), [](const Blob& a, const Blob& b) { return a.model > b.model; });
  for (const auto& b : blobs) {
    if (have_blob(store, b.hex, b.size)) {
      ++r.skipped_blobs;
      progress.add(b.size);
      continue;
    }
    if (o.status) o.status("pulling sha256:" + short_hex(b.hex) + " (" + human_bytes(b.size) + ")");
    Download d;
    d.url = repo + "/blobs/sha256:" + b.hex;
    d.hex = b.hex;
    d.size = b.size;
    d.blobs_dir = blobs_dir;
    d.partial = blobs_dir + "/sha256-" + b.hex + "-partial";
    d.headers = auth;
    DownloadOutcome out = download_blob(d, o, progress, r);
    if (!out.ok) {
      if (out.corrupt) cleanup_fresh(fresh);
      r.cancelled = out.cancelled;
      return fail(r, out.error);
    }
    fresh.push_back(out.final_path);
    remember_verified(out.final_path, out.hex, store.paths().owlet);
  }
  progress.flush();
  // The manifest last, atomically: only now does the model exist for list/resolve.
  if (!write_atomic(store.manifest_path(n), mr.body, &err)) return fail(r, err);
  r.ok = true;
  r.path = store.blob_path(model_hex);
  r.digest = "sha256:" + model_hex;
  return r;
}

// ---- Hugging Face --------------------------------------------------------------------

PullResult pull_hf(const HfRef& ref, const PullOptions& o, const ModelStore& store) {
  PullResult r;
  r.name = ref.display();
  std::string endpoint = o.hf_endpoint;
  if (endpoint.empty()) {
    const char* e = std::getenv("HF_ENDPOINT");
    endpoint = e && *e ? e : "https://huggingface.co";
  }
  endpoint = strip_slash(endpoint);
  std::string err;
  if (!check_url(endpoint, o, "Hugging Face endpoint", &err)) return fail(r, err);
  std::string token = o.hf_token;
  if (token.empty())
    if (const char* t = std::getenv("HF_TOKEN"); t && *t) token = t;
  std::vector<std::string> headers;
  if (!token.empty()) headers.push_back("Authorization: Bearer " + token);  // curl drops it on cross-host redirects
  std::string url = endpoint + "/" + ref.owner + "/" + ref.repo + "/resolve/" + escape_segments(ref.revision) + "/" +
                    escape_segments(ref.file);
  if (o.status) o.status("resolving " + url);
  // HEAD without following the redirect: the Hub puts the LFS file's sha256 and size on the
  // redirect itself (X-Linked-Etag / X-Linked-Size).
  HttpResponse h;
  if (!http_request(url, headers, true, false, o, &h, &err)) return fail(r, "cannot reach " + ref.display() + ": " + err);
  if (h.status == 401 || h.status == 403)
    return fail(r, ref.display() + ": access denied (HTTP " + std::to_string(h.status) +
                       "); the repository may be gated or private: set HF_TOKEN");
  if (h.status == 404) return fail(r, ref.display() + " not found at " + url + " (HTTP 404)");
  if (h.status >= 400 || h.status < 200)
    return fail(r, ref.display() + ": HTTP " + std::to_string(h.status) + " from " + url);
  auto header = [&](const char* k) { return h.headers.count(k) ? h.headers[k] : std::string(); };
  std::string etag = header("x-linked-etag");
  if (etag.empty()) etag = header("etag");
  if (etag.rfind("W/", 0) == 0) etag = etag.substr(2);
  etag.erase(std::remove(etag.begin(), etag.end(), '"'), etag.end());
  std::string hex = is_sha256_hex(etag) ? lower(etag) : "";
  uint64_t size = 0;
  std::string sz = header("x-linked-size");
  if (sz.empty() && h.status == 200) sz = header("content-length");
  if (!sz.empty()) size = std::strtoull(sz.c_str(), nullptr, 10);
  r.total_bytes = size;

  Progress progress(o.progress, size);
  std::string blobs_dir = store.paths().owlet + "/blobs";
  std::string model_path;
  bool fresh = false;
  if (!hex.empty() && have_blob(store, hex, size)) {
    ++r.skipped_blobs;
    progress.add(size);
    model_path = store.blob_path(hex);
  } else {
    Download d;
    d.url = url;
    d.hex = hex;
    d.size = size;
    d.blobs_dir = blobs_dir;
    d.headers = headers;
    // Without a published sha256 the partial file is named after the URL, and the blob after
    // the sha256 computed while downloading.
    d.partial = blobs_dir + "/" + (hex.empty() ? "hf-" + sha256_hex(url).substr(0, 32) : "sha256-" + hex) + "-partial";
    if (o.status) o.status("pulling " + ref.file + (size ? " (" + human_bytes(size) + ")" : ""));
    DownloadOutcome out = download_blob(d, o, progress, r);
    if (!out.ok) {
      r.cancelled = out.cancelled;
      return fail(r, out.error);
    }
    hex = out.hex;
    model_path = out.final_path;
    fresh = true;
    remember_verified(model_path, hex, store.paths().owlet);
  }
  std::error_code ec;
  uint64_t model_size = fs::file_size(model_path, ec);
  progress.flush();
  json config = {{"model_format", "gguf"}, {"source", url}, {"revision", ref.revision}, {"file", ref.file}};
  std::string config_text = config.dump();
  std::string config_hex = sha256_hex(config_text);
  if (!write_atomic(store.blob_path(config_hex), config_text, &err)) {
    if (fresh) fs::remove(model_path, ec);
    return fail(r, err);
  }
  json manifest = {{"schemaVersion", 2},
                   {"mediaType", kMediaTypeManifest},
                   {"config", {{"mediaType", kMediaTypeConfig}, {"digest", "sha256:" + config_hex}, {"size", config_text.size()}}},
                   {"layers", json::array({{{"mediaType", kMediaTypeModel}, {"digest", "sha256:" + hex}, {"size", model_size}}})}};
  if (!write_atomic(store.manifest_path(ModelStore::hf_store_name(ref)), manifest.dump(), &err)) return fail(r, err);
  r.ok = true;
  r.path = model_path;
  r.digest = "sha256:" + hex;
  if (!r.total_bytes) r.total_bytes = model_size;
  return r;
}

}  // namespace

PullResult pull_model(const std::string& text, const PullOptions& options) {
  PullResult r;
  ModelRef ref;
  if (!parse_model_ref(text, &ref, &r.error)) return r;
  if (ref.kind == ModelRef::Kind::path) {
    r.error = "'" + text + "' looks like a file path; pull takes an Ollama name (qwen2.5:0.5b) or hf://owner/repo/file.gguf";
    return r;
  }
  StorePaths paths = default_store_paths();
  if (!options.store_dir.empty()) paths.owlet = options.store_dir;
  ModelStore store(paths);
  if (ref.kind == ModelRef::Kind::hf) return pull_hf(ref.hf, options, store);
  return pull_ollama(ref.ollama, options, store);
}

}  // namespace owlet::models
