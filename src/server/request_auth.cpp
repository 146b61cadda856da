#include "server/request_auth.h"

#include "common/strings.h"

namespace owlet::server {

bool constant_time_equals(std::string_view a, std::string_view b) {
  // Every byte of `a` is compared (against `b` cycled), so the time says nothing
  // about the key's bytes; a length difference is folded in, not returned early.
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  if (b.empty()) return a.empty();
  for (size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ b[i % b.size()]);
  return diff == 0;
}

std::string_view bearer_token(std::string_view value) {
  value = trim(value);
  if (value.size() < 7 || !istarts_with(value, "bearer") || (value[6] != ' ' && value[6] != '\t')) return {};
  return trim(value.substr(7));
}

AuthVerdict check_bearer(const std::vector<std::string>& values, const std::string& key) {
  if (values.empty()) return AuthVerdict::missing;
  if (values.size() > 1) return AuthVerdict::duplicate;
  std::string_view token = bearer_token(values.front());
  if (token.empty()) return AuthVerdict::malformed;
  return constant_time_equals(token, key) ? AuthVerdict::ok : AuthVerdict::wrong;
}

}  // namespace owlet::server
