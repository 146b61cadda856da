#include "web/error.h"

namespace owlet::web {

const char* error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::none: return "none";
    case ErrorKind::invalid_url: return "invalid_url";
    case ErrorKind::blocked_address: return "blocked_address";
    case ErrorKind::blocked_domain: return "blocked_domain";
    case ErrorKind::rate_limited: return "rate_limited";
    case ErrorKind::timeout: return "timeout";
    case ErrorKind::too_large: return "too_large";
    case ErrorKind::too_many_redirects: return "too_many_redirects";
    case ErrorKind::network: return "network";
    case ErrorKind::tls: return "tls";
    case ErrorKind::http_status: return "http_status";
    case ErrorKind::parse: return "parse";
  }
  return "unknown";
}

}  // namespace owlet::web
