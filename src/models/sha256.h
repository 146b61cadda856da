// SHA-256 over bytes and files (OpenSSL EVP), for model blob digests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/error.h"

namespace owlet::models {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, size_t n);
  // Lower-case hex of the digest; the object is reset and can be reused.
  std::string final_hex();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string sha256_hex(const void* data, size_t n);
inline std::string sha256_hex(const std::string& s) { return sha256_hex(s.data(), s.size()); }

// Hashes a whole regular file (a FIFO or device fails at once, see regular_file.h).
// `progress(done, total)` is called now and then when given. Returns false with a
// one-line reason in *err when the file cannot be read.
bool sha256_file(const std::string& path, std::string* hex, Error* err,
                 const std::function<void(uint64_t, uint64_t)>& progress = {});

// Feeds the first `n` bytes of a file into `h` (used to resume a hash over a partial download).
bool sha256_update_from_file(Sha256& h, const std::string& path, uint64_t n, Error* err);

// True for 64 lower- or upper-case hex digits.
bool is_sha256_hex(const std::string& s);

}  // namespace owlet::models
