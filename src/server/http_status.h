// The one place an error's kind becomes an HTTP status (and the OpenAI error
// type that goes with it). Every handler answers a failure with
// send_error(res, err): nothing else picks a status for an Error.
#pragma once

#include "common/error.h"

namespace owlet::server {

// 400 bad_request / prompt_too_long / unsupported / invalid_url, 403 forbidden,
// 404 not_found, 413 too_large, 422 unprocessable / blocked address or domain,
// 429 rate_limited, 502 for what a remote server did, 503 queue_full /
// unavailable / cancelled, 504 timeout, 500 io / internal.
int http_status(ErrorKind kind);

// OpenAI's error "type" for a status: invalid_request_error, authentication_error,
// not_found_error, rate_limit_error, server_overloaded, server_error.
const char* openai_error_type(int status);

}  // namespace owlet::server
