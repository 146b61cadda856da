#include "server/http_status.h"

namespace owlet::server {

int http_status(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::none: return 200;
    case ErrorKind::bad_request:
    case ErrorKind::prompt_too_long:
    case ErrorKind::unsupported:
    case ErrorKind::invalid_url: return 400;
    case ErrorKind::forbidden: return 403;
    case ErrorKind::not_found: return 404;
    case ErrorKind::too_large: return 413;
    case ErrorKind::unprocessable:
    case ErrorKind::blocked_address:
    case ErrorKind::blocked_domain: return 422;
    case ErrorKind::rate_limited: return 429;
    case ErrorKind::too_many_redirects:
    case ErrorKind::network:
    case ErrorKind::tls:
    case ErrorKind::http_status:
    case ErrorKind::parse: return 502;
    case ErrorKind::queue_full:
    case ErrorKind::unavailable:
    case ErrorKind::cancelled: return 503;
    case ErrorKind::timeout: return 504;
    case ErrorKind::io:
    case ErrorKind::internal: return 500;
  }
  return 500;
}

const char* openai_error_type(int status) {
  switch (status) {
    case 401: return "authentication_error";
    case 404: return "not_found_error";
    case 429: return "rate_limit_error";
    case 503: return "server_overloaded";
    default: return status >= 500 ? "server_error" : "invalid_request_error";
  }
}

}  // namespace owlet::server
