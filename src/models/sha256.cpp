#include "models/sha256.h"

#include <openssl/evp.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "models/regular_file.h"

namespace owlet::models {

struct Sha256::Impl {
  EVP_MD_CTX* ctx = nullptr;
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  if (!impl_->ctx || EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("OpenSSL: cannot initialise SHA-256");
}

Sha256::~Sha256() { EVP_MD_CTX_free(impl_->ctx); }

void Sha256::update(const void* data, size_t n) {
  if (n) EVP_DigestUpdate(impl_->ctx, data, n);
}

std::string Sha256::final_hex() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(impl_->ctx, md, &len);
  EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(hex[md[i] >> 4]);
    out.push_back(hex[md[i] & 15]);
  }
  return out;
}

std::string sha256_hex(const void* data, size_t n) {
  Sha256 h;
  h.update(data, n);
  return h.final_hex();
}

namespace {

bool hash_file(Sha256& h, const std::string& path, uint64_t limit, bool whole, Error* err,
               const std::function<void(uint64_t, uint64_t)>& progress) {
  FILE* f = open_regular_file(path, err);
  if (!f) return false;
  uint64_t total = limit;
  if (whole) {
    fseeko(f, 0, SEEK_END);
    total = static_cast<uint64_t>(ftello(f));
    fseeko(f, 0, SEEK_SET);
  }
  std::vector<char> buf(1 << 20);
  uint64_t done = 0;
  while (whole || done < limit) {
    size_t want = buf.size();
    if (!whole && limit - done < want) want = static_cast<size_t>(limit - done);
    size_t got = fread(buf.data(), 1, want, f);
    if (got == 0) break;
    h.update(buf.data(), got);
    done += got;
    if (progress) progress(done, total);
  }
  bool bad = ferror(f);
  fclose(f);
  if (bad || (!whole && done != limit))
    return fail(err, ErrorKind::io, "cannot read " + path + (bad ? ": read error" : ": shorter than expected"));
  return true;
}

}  // namespace

bool sha256_file(const std::string& path, std::string* hex, Error* err,
                 const std::function<void(uint64_t, uint64_t)>& progress) {
  Sha256 h;
  if (!hash_file(h, path, 0, true, err, progress)) return false;
  *hex = h.final_hex();
  return true;
}

bool sha256_update_from_file(Sha256& h, const std::string& path, uint64_t n, Error* err) {
  return hash_file(h, path, n, false, err, {});
}

bool is_sha256_hex(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  return true;
}

}  // namespace owlet::models
