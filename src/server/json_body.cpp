#include "server/json_body.h"

#include <cmath>

namespace owlet::server {

bool JsonBody::parse(const std::string& text, Error* err) {
  j_ = json::parse(text, nullptr, false);
  if (j_.is_discarded()) {
    *err = Error(ErrorKind::bad_request,
                 text.empty() ? "request body is empty; expected a JSON object" : "invalid JSON in request body");
    return false;
  }
  if (!j_.is_object()) {
    *err = Error(ErrorKind::bad_request, "request body must be a JSON object");
    return false;
  }
  return true;
}

bool JsonBody::str(const char* key, std::string* out, bool required) {
  if (!has(key)) return required ? fail(std::string("missing field '") + key + "'") : true;
  if (!j_[key].is_string()) return fail(std::string("field '") + key + "' must be a string");
  *out = j_[key].get<std::string>();
  return true;
}

bool JsonBody::boolean(const char* key, bool* out) {
  if (!has(key)) return true;
  if (!j_[key].is_boolean()) return fail(std::string("field '") + key + "' must be true or false");
  *out = j_[key].get<bool>();
  return true;
}

bool JsonBody::integer(const char* key, long long* out, long long lo, long long hi) {
  return get_integer(j_, "", key, out, lo, hi, &err_);
}

bool JsonBody::number(const char* key, double* out, double lo, double hi) {
  return get_number(j_, "", key, out, lo, hi, &err_);
}

bool JsonBody::get_number(const json& obj, const std::string& where, const char* key, double* out, double lo,
                          double hi, Error* err) {
  if (!obj.contains(key) || obj[key].is_null()) return true;
  std::string name = where.empty() ? key : where + "." + key;
  if (!obj[key].is_number()) {
    *err = Error(ErrorKind::bad_request, "field '" + name + "' must be a number");
    return false;
  }
  double v = obj[key].get<double>();
  if (v < lo || v > hi) {
    *err = Error(ErrorKind::bad_request, "field '" + name + "' is out of range [" + json(lo).dump() + ", " + json(hi).dump() + "]");
    return false;
  }
  *out = v;
  return true;
}

bool JsonBody::get_integer(const json& obj, const std::string& where, const char* key, long long* out, long long lo,
                           long long hi, Error* err) {
  if (!obj.contains(key) || obj[key].is_null()) return true;
  std::string name = where.empty() ? key : where + "." + key;
  const json& v = obj[key];
  const auto out_of_range = [&] {
    return owlet::fail(err, ErrorKind::bad_request,
                "field '" + name + "' is out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  };
  // Compared before any conversion: 2^64-1 (unsigned) must not wrap to -1, and
  // 1e300 must not be cast to an integer it cannot fit (undefined behaviour).
  if (v.is_number_unsigned()) {
    const auto u = v.get<unsigned long long>();
    if (u > static_cast<unsigned long long>(hi) || (lo > 0 && u < static_cast<unsigned long long>(lo)))
      return out_of_range();
    *out = static_cast<long long>(u);
    return true;
  }
  if (v.is_number_integer()) {
    const long long x = v.get<long long>();
    if (x < lo || x > hi) return out_of_range();
    *out = x;
    return true;
  }
  if (!v.is_number_float() || std::trunc(v.get<double>()) != v.get<double>())
    return owlet::fail(err, ErrorKind::bad_request, "field '" + name + "' must be an integer");
  const double d = v.get<double>();
  if (d < static_cast<double>(lo) || d > static_cast<double>(hi)) return out_of_range();
  *out = static_cast<long long>(d);
  return true;
}

}  // namespace owlet::server
