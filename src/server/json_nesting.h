// The JSON nesting limit of the request intake, checked before any parse: a
// 15 MB body of '[' takes a recursive-descent parser (nlohmann's DOM builder
// keeps a stack entry and a heap node per level) to gigabytes and seconds, and
// glibc keeps that memory afterwards. One linear pass over the bytes, no
// allocation, string contents skipped.
#pragma once

#include <string_view>

#include "common/error.h"

namespace owlet::server {

inline constexpr int kMaxJsonDepth = 64;

// False with ErrorKind::bad_request when arrays/objects nest deeper than `max_depth`.
// Says nothing else about validity (the parser does that).
bool check_json_nesting(std::string_view body, int max_depth, Error* err);

}  // namespace owlet::server
