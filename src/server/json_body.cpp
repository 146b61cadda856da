#include "server/json_body.h"

namespace owlet::server {

bool JsonBody::parse(const std::string& text, std::string* err) {
  j_ = json::parse(text, nullptr, false);
  if (j_.is_discarded()) {
    *err = text.empty() ? "request body is empty; expected a JSON object" : "invalid JSON in request body";
    return false;
  }
  if (!j_.is_object()) {
    *err = "request body must be a JSON object";
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
                          double hi, std::string* err) {
  if (!obj.contains(key) || obj[key].is_null()) return true;
  std::string name = where.empty() ? key : where + "." + key;
  if (!obj[key].is_number()) {
    *err = "field '" + name + "' must be a number";
    return false;
  }
  double v = obj[key].get<double>();
  if (v < lo || v > hi) {
    *err = "field '" + name + "' is out of range [" + json(lo).dump() + ", " + json(hi).dump() + "]";
    return false;
  }
  *out = v;
  return true;
}

bool JsonBody::get_integer(const json& obj, const std::string& where, const char* key, long long* out, long long lo,
                           long long hi, std::string* err) {
  if (!obj.contains(key) || obj[key].is_null()) return true;
  std::string name = where.empty() ? key : where + "." + key;
  const json& v = obj[key];
  bool integral = v.is_number_integer() || (v.is_number_float() && v.get<double>() == static_cast<long long>(v.get<double>()));
  if (!integral) {
    *err = "field '" + name + "' must be an integer";
    return false;
  }
  long long x = v.is_number_float() ? static_cast<long long>(v.get<double>()) : v.get<long long>();
  if (x < lo || x > hi) {
    *err = "field '" + name + "' is out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
    return false;
  }
  *out = x;
  return true;
}

}  // namespace owlet::server
