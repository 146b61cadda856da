// The Docker registry token flow, for a registry's 401 answer:
//   WWW-Authenticate: Bearer realm="https://…/token",service="…",scope="…"
//   → GET realm?service=…&scope=…  → {"token": "…"}
// Anonymous: no credentials are sent. The realm is a URL the registry chose, so
// the request goes through the same SSRF guard as every other pull request.
#pragma once

#include <map>
#include <string>

#include "common/error.h"
#include "models/registry_http.h"

namespace owlet::models {

// Parameters of a Bearer challenge (lower-case keys); false with bad_request
// when it is not a Bearer challenge.
bool parse_bearer_challenge(const std::string& challenge, std::map<std::string, std::string>* params, Error* err);

// Runs the token flow for `challenge`; *token is the bearer token to send.
bool fetch_bearer_token(const std::string& challenge, const GuardPolicy& policy, std::string* token, Error* err);

}  // namespace owlet::models
