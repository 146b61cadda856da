// The API key check of the request intake: "Authorization: Bearer <key>".
// The scheme is case-insensitive (RFC 7235 §2.1), exactly one Authorization
// header is accepted (with two, which one a proxy or a handler reads is a
// guess), and the key is compared in constant time.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace owlet::server {

enum class AuthVerdict {
  ok,         // the right key
  missing,    // no Authorization header
  malformed,  // not "Bearer <token>"
  duplicate,  // more than one Authorization header
  wrong,      // a Bearer token, not the key
};

// `values`: every Authorization header of the request, in order.
AuthVerdict check_bearer(const std::vector<std::string>& values, const std::string& key);

// The token of "Bearer <token>" (any case, any run of spaces), "" when the value is not that.
std::string_view bearer_token(std::string_view value);

// Equality whose time depends on the lengths only, never on where the bytes differ.
bool constant_time_equals(std::string_view a, std::string_view b);

}  // namespace owlet::server
