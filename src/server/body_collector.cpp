#include "server/body_collector.h"

namespace owlet::server {

bool BodyCollector::count(size_t n) {
  if (!error_.ok()) return false;
  if (n > limits_.max_bytes - bytes_) {
    error_ = {ErrorKind::too_large, "request body is larger than " + std::to_string(limits_.max_bytes) +
                                        " bytes (counted after decompression)"};
    return false;
  }
  bytes_ += n;
  return true;
}

bool BodyCollector::append(const char* data, size_t n) {
  if (!count(n)) return false;
  body_.append(data, n);
  return true;
}

bool BodyCollector::begin_part(const httplib::MultipartFormData& head) {
  if (!error_.ok()) return false;
  if (++parts_ > limits_.max_parts) {
    error_ = {ErrorKind::too_large, "more than " + std::to_string(limits_.max_parts) + " multipart parts"};
    return false;
  }
  if (!count(head.name.size() + head.filename.size() + head.content_type.size())) return false;
  current_ = files_.emplace(head.name, head);
  current_->second.content.clear();
  return true;
}

bool BodyCollector::append_part(const char* data, size_t n) {
  if (current_ == files_.end()) {
    error_ = {ErrorKind::bad_request, "multipart data before any part header"};
    return false;
  }
  if (!count(n)) return false;
  current_->second.content.append(data, n);
  return true;
}

}  // namespace owlet::server
