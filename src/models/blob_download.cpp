#include "models/blob_download.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>

#include "common/strings.h"
#include "models/sha256.h"

namespace owlet::models {
namespace {

namespace fs = std::filesystem;

uint64_t file_size_or_zero(const std::string& p) {
  std::error_code ec;
  auto s = fs::file_size(p, ec);
  return ec ? 0 : s;
}

std::string what_of(const BlobDownload& d) { return d.hex.empty() ? d.url : "sha256:" + d.hex.substr(0, 12); }

// The exclusive lock on a partial file, for the whole download. The lock goes away
// with the process, so a crash never leaves it stuck; an empty partial file (nothing
// to resume) is removed on the way out.
class PartialLock {
 public:
  explicit PartialLock(const std::string& path) : path_(path) {
    fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  }
  ~PartialLock() {
    std::error_code e;
    if (locked_ && fs::exists(path_, e) && fs::file_size(path_, e) == 0) fs::remove(path_, e);
    if (fd_ >= 0) close(fd_);
  }
  PartialLock(const PartialLock&) = delete;
  PartialLock& operator=(const PartialLock&) = delete;
  bool acquire(const std::string& what, Error* err) {
    if (fd_ < 0) return fail(err, ErrorKind::io, "cannot write " + path_ + ": " + strerror(errno));
    if (flock(fd_, LOCK_EX | LOCK_NB) != 0)
      return fail(err, ErrorKind::unavailable, "another owlet pull is already downloading " + what + " (" + path_ + ")");
    locked_ = true;
    return true;
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool locked_ = false;
};

bool check_disk_space(const BlobDownload& d, Error* err) {
  if (!d.size) return true;
  struct statvfs vfs {};
  uint64_t have = file_size_or_zero(d.partial);
  if (statvfs(d.blobs_dir.c_str(), &vfs) != 0 || d.size <= have) return true;
  uint64_t free_bytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  if (free_bytes >= d.size - have) return true;
  if (have == 0) {
    std::error_code ec;
    fs::remove(d.partial, ec);
  }
  return fail(err, ErrorKind::io,
              "not enough disk space in " + d.blobs_dir + " for " + what_of(d) + ": need " +
                  human_bytes(static_cast<double>(d.size - have)) + ", " +
                  human_bytes(static_cast<double>(free_bytes)) + " free");
}

// The bytes already on disk, hashed, so the download continues after them. A
// partial file longer than the blob, or unreadable, starts over.
uint64_t resume_point(const BlobDownload& d, Sha256& hash) {
  std::error_code ec;
  uint64_t offset = file_size_or_zero(d.partial);
  if (d.size && offset > d.size) {
    fs::remove(d.partial, ec);
    return 0;
  }
  if (offset > 0 && !sha256_update_from_file(hash, d.partial, offset, nullptr)) {
    fs::remove(d.partial, ec);
    hash.final_hex();  // resets
    return 0;
  }
  return offset;
}

// One HTTP request's worth of writing into the partial file.
struct Transfer {
  FILE* f = nullptr;
  Sha256* hash = nullptr;
  uint64_t offset = 0;    // bytes in the partial file before this request
  uint64_t written = 0;   // bytes written in this request
  uint64_t expected = 0;
  bool started = false;
  bool http_error = false;
  bool too_big = false;
  bool bad_range = false;
  long status = 0;
  PullContext* ctx = nullptr;
};

// The answer's first bytes decide what they are: an error page, the rest of the
// file (206 from our offset), or the whole file again (200: the server ignored Range).
bool start_body(Transfer& t, long status, const HeaderMap& headers) {
  t.started = true;
  t.status = status;
  t.http_error = status >= 400 || status < 200;
  if (t.http_error || t.offset == 0) return true;
  if (status == 206) {
    // Content-Range: bytes <start>-<end>/<total> must start where the partial file ends.
    auto it = headers.find("content-range");
    unsigned long long start = 0;
    if (it == headers.end() || sscanf(it->second.c_str(), "bytes %llu-", &start) != 1 || start != t.offset) {
      t.bad_range = true;
      return false;
    }
    return true;
  }
  if (ftruncate(fileno(t.f), 0) != 0 || fseeko(t.f, 0, SEEK_SET) != 0) return false;
  t.ctx->progress.rewind(t.offset);
  t.hash->final_hex();  // resets
  t.offset = 0;
  return true;
}

bool write_body(Transfer& t, const char* data, size_t len, long status, const HeaderMap& headers) {
  if (!t.started && !start_body(t, status, headers)) return false;
  if (t.http_error) return true;  // drained, not kept
  if (t.expected && t.offset + t.written + len > t.expected) {
    t.too_big = true;
    return false;
  }
  if (fwrite(data, 1, len, t.f) != len) return false;
  t.hash->update(data, len);
  t.written += len;
  t.ctx->result.downloaded_bytes += len;
  t.ctx->progress.add(len);
  return true;
}

enum class Attempt { complete, retry, failed };

// How one request ended, for judge().
struct RequestEnd {
  bool done = false;       // the exchange completed (any HTTP status)
  bool flushed = false;    // the partial file reached the disk
  bool cancelled = false;  // PullOptions::cancel stopped it
  long status = 0;
  Error error;             // when !done
};

// What a finished request means: the blob is complete, worth another try (a
// dropped connection, a refused resume), or a failure to report.
Attempt judge(const BlobDownload& d, uint64_t offset, const Transfer& t, const RequestEnd& end, BlobOutcome* out) {
  const std::string what = what_of(d);
  std::error_code ec;
  if (end.cancelled) {
    out->error = {ErrorKind::cancelled, "pull cancelled; " + std::to_string(file_size_or_zero(d.partial)) +
                                            " bytes kept in " + d.partial + " for the next pull to resume"};
    return Attempt::failed;
  }
  if (!end.done && end.error.kind == ErrorKind::blocked_address) {
    out->error = {end.error.kind, "blob " + what + ": " + end.error.message};
    return Attempt::failed;
  }
  if (t.too_big || (end.done && end.status == 200 && d.size && file_size_or_zero(d.partial) > d.size)) {
    fs::remove(d.partial, ec);
    out->corrupt = true;
    out->error = {ErrorKind::parse, "blob " + what + " from " + d.url + " is larger than the manifest's " +
                                        std::to_string(d.size) + " bytes; download deleted"};
    return Attempt::failed;
  }
  if (t.http_error || (end.done && (end.status < 200 || end.status >= 300))) {
    if (end.status == 416 && offset > 0) {  // our partial file is not a prefix the server knows: start over
      fs::remove(d.partial, ec);
      out->error = {ErrorKind::http_status,
                    "the server refused to resume " + what + " (HTTP 416); partial download deleted, pull again"};
      return Attempt::retry;
    }
    out->error = {end.status == 404 ? ErrorKind::not_found : ErrorKind::http_status,
                  "HTTP " + std::to_string(end.status) + " fetching blob " + what + " from " + d.url};
    return Attempt::failed;
  }
  if (t.bad_range) {
    fs::remove(d.partial, ec);
    out->error = {ErrorKind::network,
                  "server answered the resume of " + what + " with a mismatched Content-Range; partial download deleted"};
    return Attempt::retry;
  }
  if (!end.done || !end.flushed || (d.size && file_size_or_zero(d.partial) < d.size)) {
    out->error = {end.done ? ErrorKind::network : end.error.kind,
                  "download of " + what + " interrupted at " + std::to_string(file_size_or_zero(d.partial)) + " of " +
                      (d.size ? std::to_string(d.size) : std::string("?")) + " bytes (" +
                      (end.done ? std::string("connection closed early") : end.error.message) +
                      "); run the same pull again to resume"};
    return Attempt::retry;
  }
  return Attempt::complete;
}

// One request from `offset` to the end, appended to the partial file and hashed.
Attempt transfer_once(const BlobDownload& d, uint64_t offset, Sha256& hash, PullContext& ctx, BlobOutcome* out) {
  FILE* f = fopen(d.partial.c_str(), offset ? "r+b" : "wb");
  if (!f) {
    out->error = {ErrorKind::io, "cannot write " + d.partial + ": " + strerror(errno)};
    return Attempt::failed;
  }
  fseeko(f, static_cast<off_t>(offset), SEEK_SET);
  Transfer t;
  t.f = f;
  t.hash = &hash;
  t.offset = offset;
  t.expected = d.size;
  t.ctx = &ctx;
  Exchange x;
  x.url = d.url;
  x.headers = d.headers;
  if (offset > 0) {
    x.headers.push_back("Range: bytes=" + std::to_string(offset) + "-");  // kept across redirects
    ++ctx.result.resumed;
  }
  x.timeout_s = 0;  // a large blob takes what it takes; a stall fails after a minute
  x.on_body = [&t](const char* p, size_t n, long status, const HeaderMap& h) { return write_body(t, p, n, status, h); };
  const std::atomic<bool>* cancel = ctx.options.cancel;
  x.cancelled = [cancel] { return cancel && cancel->load(); };
  ExchangeResult r;
  RequestEnd end;
  end.done = exchange(x, ctx.policy, &r, &end.error);
  end.flushed = fflush(f) == 0 && fsync(fileno(f)) == 0;
  fclose(f);
  end.status = t.started ? t.status : r.status;
  end.cancelled = !end.done && end.error.kind == ErrorKind::cancelled;
  return judge(d, offset, t, end, out);
}

// The finished partial file, checked against the expected digest and moved into place.
BlobOutcome verify_and_place(const BlobDownload& d, Sha256& hash) {
  BlobOutcome out;
  std::string got = hash.final_hex();
  if (!d.hex.empty() && got != d.hex) {
    std::error_code ec;
    fs::remove(d.partial, ec);
    out.corrupt = true;
    out.error = {ErrorKind::parse, "blob sha256:" + d.hex.substr(0, 12) + "… from " + d.url +
                                       " failed verification (its sha256 is " + got.substr(0, 12) +
                                       "…); download deleted"};
    return out;
  }
  out.hex = got;
  out.final_path = d.blobs_dir + "/sha256-" + got;
  if (rename(d.partial.c_str(), out.final_path.c_str()) != 0)
    out.error = {ErrorKind::io, "cannot move " + d.partial + " into place: " + strerror(errno)};
  return out;
}

}  // namespace

BlobOutcome download_blob(const BlobDownload& d, PullContext& ctx) {
  BlobOutcome out;
  std::error_code ec;
  fs::create_directories(d.blobs_dir, ec);
  PartialLock lock(d.partial);
  if (!lock.acquire(what_of(d), &out.error) || !check_disk_space(d, &out.error)) return out;
  const PullOptions& o = ctx.options;
  const int attempts = std::max(0, o.max_retries) + 1;
  bool counted_existing = false;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    Sha256 hash;
    uint64_t offset = resume_point(d, hash);
    if (!counted_existing) {
      ctx.progress.add(offset);  // bytes already on disk from an earlier attempt count as done
      counted_existing = true;
    }
    if (!(d.size && offset == d.size)) {
      Attempt a = transfer_once(d, offset, hash, ctx, &out);
      if (a == Attempt::failed) return out;
      if (a == Attempt::retry) {
        if (attempt + 1 < attempts) {
          if (o.status) o.status("connection dropped at " + std::to_string(file_size_or_zero(d.partial)) + " bytes; resuming");
          std::this_thread::sleep_for(std::chrono::milliseconds(o.retry_delay_ms * (attempt + 1)));
        }
        continue;
      }
    }
    return verify_and_place(d, hash);
  }
  if (out.error.ok()) out.error = {ErrorKind::network, "download of " + what_of(d) + " failed"};
  return out;
}

}  // namespace owlet::models
