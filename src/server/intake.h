// The request intake: what every request passes before a route handler sees it.
//
//   head (every request, before the body is read; the pre-routing handler):
//     shutting down → 503 + Retry-After
//     Host and Origin policy (origin_policy.h) → 403; CORS headers for allowed origins
//     OPTIONS → 204 preflight
//     Content-Encoding other than identity/gzip/deflate/br → 415
//     API key (request_auth.h): two Authorization headers → 400, missing/wrong → 401
//   body (every route with a body; IntakeServer, intake_server.h):
//     read through httplib's decoders with the size counted after decompression
//     (body_collector.h) → 413; any content type is read as the raw body, so a
//     JSON body sent as a form (curl -d) is not cut at httplib's 8 KB form limit
//     JSON nesting (json_nesting.h) → 400, before any parse
//     model names (model_name_policy.h) in "model" (and "name" on show/delete/pull) → 400/403
//
// Pure functions over httplib::Request, so the fuzz target drives them directly.
#pragma once

#include <httplib.h>

#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "server/body_collector.h"
#include "server/model_name_policy.h"
#include "server/origin_policy.h"

namespace owlet::server {

struct IntakePolicy {
  std::string api_key;  // "" = no key required
  OriginPolicy origins;
  BodyLimits body;
  int max_json_depth = 64;
  ModelNamePolicy models;
};

struct HeadVerdict {
  int status = 0;  // 0 = go on to the route; else answer with this status
  std::string error;
  std::vector<std::pair<std::string, std::string>> headers;  // to set on the response either way
  bool admitted() const { return status == 0; }
};

// Checks a request's line and headers. `stopping`: the server is in its shutdown grace.
HeadVerdict check_head(const httplib::Request& req, const IntakePolicy& policy, bool stopping);

// Checks a request whose body has been read (req.body / req.files).
bool check_body(const httplib::Request& req, const IntakePolicy& policy, Error* err);

// Reads the body through `reader` into a copy of `req`, within policy.body.
bool read_body(const httplib::Request& req, const httplib::ContentReader& reader, const IntakePolicy& policy,
               httplib::Request* full, Error* err);

}  // namespace owlet::server
