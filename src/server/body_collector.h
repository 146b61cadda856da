// A request body as the intake reads it (part of the request intake). httplib
// hands over bytes already decoded (gzip, deflate, br), chunked or not; they are
// counted against the limit as they arrive, so a 1 MB gzip body cannot become a
// gigabyte in memory and a chunked body cannot run past the limit either.
// Multipart parts are collected the same way, and their number is capped.
#pragma once

#include <httplib.h>

#include <cstddef>
#include <string>

#include "common/error.h"

namespace owlet::server {

struct BodyLimits {
  size_t max_bytes = 16 << 20;  // decoded bytes, all parts together
  size_t max_parts = 64;        // multipart parts
};

class BodyCollector {
 public:
  explicit BodyCollector(BodyLimits limits) : limits_(limits) {}
  // Each returns false (and sets error()) once the body is over a limit.
  bool append(const char* data, size_t n);
  bool begin_part(const httplib::MultipartFormData& head);
  bool append_part(const char* data, size_t n);

  std::string& body() { return body_; }
  httplib::MultipartFormDataMap& files() { return files_; }
  size_t bytes() const { return bytes_; }
  const Error& error() const { return error_; }

 private:
  bool count(size_t n);
  BodyLimits limits_;
  std::string body_;
  httplib::MultipartFormDataMap files_;
  httplib::MultipartFormDataMap::iterator current_ = files_.end();
  size_t bytes_ = 0;
  size_t parts_ = 0;
  Error error_;
};

}  // namespace owlet::server
