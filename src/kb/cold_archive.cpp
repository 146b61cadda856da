#include "kb/cold_archive.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zdict.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

namespace owlet::kb {
namespace {

constexpr uint32_t kMagic = 0x5243574F;  // "OWCR"
constexpr int kLevel = 6;  // cold data is written once, read rarely; 6 is most of 9's ratio at half the time

void put_u32(char* p, uint32_t v) { std::memcpy(p, &v, 4); }
void put_u64(char* p, uint64_t v) { std::memcpy(p, &v, 8); }
uint32_t get_u32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
uint64_t get_u64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

uint64_t record_checksum(const char* header24, std::string_view payload) {
  XXH3_state_t* st = XXH3_createState();
  XXH3_64bits_reset(st);
  XXH3_64bits_update(st, header24, 24);
  XXH3_64bits_update(st, payload.data(), payload.size());
  const uint64_t h = XXH3_64bits_digest(st);
  XXH3_freeState(st);
  return h;
}

std::string sys_error(const std::string& what) { return what + ": " + std::strerror(errno); }

}  // namespace

struct ColdArchive::Dict {
  std::string bytes;
  ZSTD_CDict* cdict = nullptr;
  ZSTD_DDict* ddict = nullptr;
  ~Dict() {
    ZSTD_freeCDict(cdict);
    ZSTD_freeDDict(ddict);
  }
};

ColdArchive::~ColdArchive() { close(); }

void ColdArchive::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool ColdArchive::open(const std::string& path, Error* err) {
  close();
  path_ = path;
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    if (err) *err = Error(ErrorKind::io, sys_error("open " + path));
    return false;
  }
  struct stat st {};
  if (fstat(fd_, &st) != 0) {
    if (err) *err = Error(ErrorKind::io, sys_error("stat " + path));
    return false;
  }
  // Appends go to the end; a torn tail from a crash is never referenced by the
  // database (records are written before the commit that points at them).
  end_ = static_cast<uint64_t>(st.st_size);
  return true;
}

bool ColdArchive::add_dictionary(uint32_t id, std::string bytes, Error* err) {
  auto d = std::make_shared<Dict>();
  d->bytes = std::move(bytes);
  d->cdict = ZSTD_createCDict(d->bytes.data(), d->bytes.size(), kLevel);
  d->ddict = ZSTD_createDDict(d->bytes.data(), d->bytes.size());
  if (!d->cdict || !d->ddict) {
    if (err) *err = Error(ErrorKind::io, "cold archive: bad zstd dictionary " + std::to_string(id));
    return false;
  }
  std::unique_lock lock(dict_mu_);
  dicts_[id] = std::move(d);
  return true;
}

uint32_t ColdArchive::latest_dictionary() const {
  std::shared_lock lock(dict_mu_);
  return dicts_.empty() ? 0 : dicts_.rbegin()->first;
}

bool ColdArchive::append(std::string_view text, uint32_t dict_id, ColdLocation* loc, Error* err) {
  if (fd_ < 0) {
    if (err) *err = Error(ErrorKind::internal, "cold archive not open");
    return false;
  }
  std::shared_ptr<Dict> dict;
  if (dict_id != 0) {
    std::shared_lock lock(dict_mu_);
    auto it = dicts_.find(dict_id);
    if (it == dicts_.end()) {
      if (err) *err = Error(ErrorKind::internal, "cold archive: unknown dictionary " + std::to_string(dict_id));
      return false;
    }
    dict = it->second;
  }
  std::string rec(kHeaderSize + ZSTD_compressBound(text.size()), '\0');
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  const size_t n = dict ? ZSTD_compress_usingCDict(cctx, rec.data() + kHeaderSize, rec.size() - kHeaderSize,
                                                   text.data(), text.size(), dict->cdict)
                        : ZSTD_compressCCtx(cctx, rec.data() + kHeaderSize, rec.size() - kHeaderSize, text.data(),
                                            text.size(), kLevel);
  ZSTD_freeCCtx(cctx);
  if (ZSTD_isError(n)) {
    if (err) *err = Error(ErrorKind::io, std::string("zstd compress: ") + ZSTD_getErrorName(n));
    return false;
  }
  rec.resize(kHeaderSize + n);
  put_u32(rec.data(), kMagic);
  put_u32(rec.data() + 4, dict_id);
  put_u64(rec.data() + 8, text.size());
  put_u64(rec.data() + 16, n);
  put_u64(rec.data() + 24, record_checksum(rec.data(), std::string_view(rec).substr(kHeaderSize)));
  size_t done = 0;
  while (done < rec.size()) {
    const ssize_t w = ::pwrite(fd_, rec.data() + done, rec.size() - done, static_cast<off_t>(end_ + done));
    if (w < 0) {
      if (errno == EINTR) continue;
      if (err) *err = Error(ErrorKind::io, sys_error("write " + path_));
      return false;
    }
    done += static_cast<size_t>(w);
  }
  loc->offset = end_;
  loc->length = rec.size();
  loc->raw_length = text.size();
  loc->dict_id = dict_id;
  end_ += rec.size();
  return true;
}

bool ColdArchive::read(const ColdLocation& loc, std::string* text, Error* err) const {
  auto fail = [&](const std::string& why) {
    if (err) *err = Error(ErrorKind::io, "cold archive " + path_ + " @" + std::to_string(loc.offset) + ": " + why);
    return false;
  };
  if (loc.length < kHeaderSize) return fail("bad record length");
  std::string rec(loc.length, '\0');
  size_t done = 0;
  while (done < rec.size()) {
    const ssize_t r = ::pread(fd_, rec.data() + done, rec.size() - done, static_cast<off_t>(loc.offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return fail(std::strerror(errno));
    if (r == 0) return fail("truncated record (file ends early)");
    done += static_cast<size_t>(r);
  }
  if (get_u32(rec.data()) != kMagic) return fail("bad record magic");
  const uint32_t dict_id = get_u32(rec.data() + 4);
  const uint64_t raw_len = get_u64(rec.data() + 8);
  const uint64_t comp_len = get_u64(rec.data() + 16);
  if (comp_len != loc.length - kHeaderSize || raw_len != loc.raw_length || dict_id != loc.dict_id)
    return fail("record header does not match the index");
  const std::string_view payload = std::string_view(rec).substr(kHeaderSize);
  if (record_checksum(rec.data(), payload) != get_u64(rec.data() + 24)) return fail("checksum mismatch");

  std::shared_ptr<Dict> dict;
  if (dict_id != 0) {
    std::shared_lock lock(dict_mu_);
    auto it = dicts_.find(dict_id);
    if (it == dicts_.end()) return fail("missing dictionary " + std::to_string(dict_id));
    dict = it->second;
  }
  text->assign(raw_len, '\0');
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  const size_t n = dict ? ZSTD_decompress_usingDDict(dctx, text->data(), text->size(), payload.data(),
                                                     payload.size(), dict->ddict)
                        : ZSTD_decompressDCtx(dctx, text->data(), text->size(), payload.data(), payload.size());
  ZSTD_freeDCtx(dctx);
  if (ZSTD_isError(n)) return fail(std::string("zstd: ") + ZSTD_getErrorName(n));
  if (n != raw_len) return fail("decompressed size mismatch");
  return true;
}

bool ColdArchive::sync(Error* err) {
  if (fd_ >= 0 && ::fdatasync(fd_) != 0) {
    if (err) *err = Error(ErrorKind::io, sys_error("fsync " + path_));
    return false;
  }
  return true;
}

uint64_t ColdArchive::size() const { return end_; }

bool train_dictionary(const std::vector<std::string>& samples, size_t dict_bytes, std::string* dict,
                      Error* err) {
  std::string joined;
  std::vector<size_t> sizes;
  for (const auto& s : samples) {
    joined += s;
    sizes.push_back(s.size());
  }
  dict->assign(dict_bytes, '\0');
  const size_t n = ZDICT_trainFromBuffer(dict->data(), dict->size(), joined.data(), sizes.data(),
                                         static_cast<unsigned>(sizes.size()));
  if (ZDICT_isError(n)) {
    if (err) *err = Error(ErrorKind::io, std::string("zstd dictionary training: ") + ZDICT_getErrorName(n));
    dict->clear();
    return false;
  }
  dict->resize(n);
  return true;
}

}  // namespace owlet::kb
