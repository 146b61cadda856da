// Typed access to a JSON request body, with errors that name the field —
// the server answers 400 {"error": "..."} with that text.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace owlet::server {

using json = nlohmann::json;

class JsonBody {
 public:
  // False with *err ("invalid JSON: …", "body must be a JSON object") on bad input.
  bool parse(const std::string& text, std::string* err);
  const json& root() const { return j_; }
  bool has(const char* key) const { return j_.contains(key) && !j_[key].is_null(); }

  // Each returns false and sets error() when the field exists with the wrong type.
  bool str(const char* key, std::string* out, bool required = false);
  bool boolean(const char* key, bool* out);
  bool integer(const char* key, long long* out, long long lo, long long hi);
  bool number(const char* key, double* out, double lo, double hi);
  const std::string& error() const { return err_; }
  // Sets an error about a field (for checks beyond type).
  bool fail(const std::string& msg) {
    err_ = msg;
    return false;
  }

  // The same getters on a nested object (e.g. Ollama's "options"), errors prefixed with its name.
  static bool get_number(const json& obj, const std::string& where, const char* key, double* out, double lo,
                         double hi, std::string* err);
  static bool get_integer(const json& obj, const std::string& where, const char* key, long long* out, long long lo,
                          long long hi, std::string* err);

 private:
  json j_;
  std::string err_;
};

}  // namespace owlet::server
