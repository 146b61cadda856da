// Typed access to a JSON request body, with errors that name the field —
// the server answers 400 {"error": "..."} with that text.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"

namespace owlet::server {

using json = nlohmann::json;

class JsonBody {
 public:
  // False with a bad_request *err ("invalid JSON: …", "body must be a JSON object") on bad input.
  bool parse(const std::string& text, Error* err);
  const json& root() const { return j_; }
  bool has(const char* key) const { return j_.contains(key) && !j_[key].is_null(); }

  // Each returns false and sets error() when the field exists with the wrong type.
  bool str(const char* key, std::string* out, bool required = false);
  bool boolean(const char* key, bool* out);
  bool integer(const char* key, long long* out, long long lo, long long hi);
  bool number(const char* key, double* out, double lo, double hi);
  // The last field error, a bad_request.
  const Error& error() const { return err_; }
  // Sets an error about a field (for checks beyond type).
  bool fail(const std::string& msg) {
    err_ = Error(ErrorKind::bad_request, msg);
    return false;
  }

  // The same getters on a nested object (e.g. Ollama's "options"), errors prefixed with its name.
  static bool get_number(const json& obj, const std::string& where, const char* key, double* out, double lo,
                         double hi, Error* err);
  static bool get_integer(const json& obj, const std::string& where, const char* key, long long* out, long long lo,
                          long long hi, Error* err);

 private:
  json j_;
  Error err_;
};

}  // namespace owlet::server
