#include "common/error.h"

#include <ostream>

namespace owlet {

const char* error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::none: return "none";
    case ErrorKind::bad_request: return "bad_request";
    case ErrorKind::not_found: return "not_found";
    case ErrorKind::too_large: return "too_large";
    case ErrorKind::prompt_too_long: return "prompt_too_long";
    case ErrorKind::unsupported: return "unsupported";
    case ErrorKind::forbidden: return "forbidden";
    case ErrorKind::unprocessable: return "unprocessable";
    case ErrorKind::queue_full: return "queue_full";
    case ErrorKind::unavailable: return "unavailable";
    case ErrorKind::cancelled: return "cancelled";
    case ErrorKind::invalid_url: return "invalid_url";
    case ErrorKind::blocked_address: return "blocked_address";
    case ErrorKind::blocked_domain: return "blocked_domain";
    case ErrorKind::rate_limited: return "rate_limited";
    case ErrorKind::timeout: return "timeout";
    case ErrorKind::too_many_redirects: return "too_many_redirects";
    case ErrorKind::network: return "network";
    case ErrorKind::tls: return "tls";
    case ErrorKind::http_status: return "http_status";
    case ErrorKind::parse: return "parse";
    case ErrorKind::io: return "io";
    case ErrorKind::internal: return "internal";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& os, const Error& e) {
  return os << error_kind_name(e.kind) << ": " << e.message;
}

bool fail(Error* err, ErrorKind kind, std::string message) {
  if (err) *err = Error(kind, std::move(message));
  return false;
}

}  // namespace owlet
