// Small helpers shared by the JSON-speaking providers (internal header).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "web/error.h"

namespace owlet::web::detail {

// Parses without exceptions; `error` set when the body is not a JSON object.
inline nlohmann::json parse_object(std::string_view body, const char* provider, Error& error) {
  nlohmann::json j = nlohmann::json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    error = {ErrorKind::parse, std::string(provider) + " returned invalid JSON"};
    return {};
  }
  if (!j.is_object()) {
    error = {ErrorKind::parse, std::string(provider) + " returned JSON that is not an object"};
    return {};
  }
  return j;
}

// A string member, or "" when missing or of another type (real APIs send null).
inline std::string str(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace owlet::web::detail
