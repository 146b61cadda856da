#include "models/modelfile.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "common/strings.h"

namespace owlet::models {
namespace {

using json = nlohmann::json;

bool line_fail(Error* err, int line, const std::string& why) {
  return fail(err, ErrorKind::bad_request, "Modelfile line " + std::to_string(line) + ": " + why);
}

bool is_int(const std::string& v) {
  if (v.empty()) return false;
  char* end = nullptr;
  errno = 0;
  strtoll(v.c_str(), &end, 10);
  return errno == 0 && *end == '\0';
}

bool is_float(const std::string& v) {
  if (v.empty()) return false;
  char* end = nullptr;
  errno = 0;
  strtod(v.c_str(), &end);
  return errno == 0 && *end == '\0';
}

enum class ParamType { integer, number, text };

ParamType type_of(const std::string& name) {
  if (name == "stop") return ParamType::text;
  if (name == "top_k" || name == "repeat_last_n" || name == "seed" || name == "num_predict" || name == "num_ctx")
    return ParamType::integer;
  return ParamType::number;
}

// A value starting at text[*pos]: """…""" (may span lines), "…" (with \" and
// \\ escapes), or the rest of the line, trimmed.
bool read_value(std::string_view text, size_t* pos, int* line, std::string* out, Error* err) {
  size_t p = *pos;
  if (text.substr(p, 3) == "\"\"\"") {
    size_t end = text.find("\"\"\"", p + 3);
    if (end == std::string_view::npos) return line_fail(err, *line, "unterminated \"\"\"");
    std::string_view v = text.substr(p + 3, end - p - 3);
    for (char c : v)
      if (c == '\n') ++*line;
    *out = std::string(v);
    *pos = end + 3;
    return true;
  }
  if (p < text.size() && text[p] == '"') {
    std::string v;
    for (size_t i = p + 1; i < text.size(); ++i) {
      char c = text[i];
      if (c == '\n') break;
      if (c == '\\' && i + 1 < text.size() && (text[i + 1] == '"' || text[i + 1] == '\\')) {
        v.push_back(text[++i]);
        continue;
      }
      if (c == '"') {
        *out = v;
        *pos = i + 1;
        return true;
      }
      v.push_back(c);
    }
    return line_fail(err, *line, "unterminated quoted value");
  }
  size_t end = text.find('\n', p);
  if (end == std::string_view::npos) end = text.size();
  *out = std::string(trim(text.substr(p, end - p)));
  *pos = end;
  return true;
}

}  // namespace

const std::vector<std::string>& known_parameters() {
  static const std::vector<std::string> k = {"temperature", "top_k",       "top_p", "min_p",   "repeat_penalty",
                                             "repeat_last_n", "seed", "num_predict", "num_ctx", "stop"};
  return k;
}

bool check_parameter(const std::string& name, const std::string& value, Error* err) {
  bool known = false;
  for (const auto& k : known_parameters()) known = known || k == name;
  if (!known) {
    std::string list;
    for (const auto& k : known_parameters()) list += (list.empty() ? "" : ", ") + k;
    return fail(err, ErrorKind::bad_request, "unknown parameter '" + name + "' (owlet applies " + list + ")");
  }
  switch (type_of(name)) {
    case ParamType::integer:
      if (!is_int(value))
        return fail(err, ErrorKind::bad_request, "parameter " + name + ": expected an integer, got '" + value + "'");
      break;
    case ParamType::number:
      if (!is_float(value))
        return fail(err, ErrorKind::bad_request, "parameter " + name + ": expected a number, got '" + value + "'");
      break;
    case ParamType::text:
      if (value.empty()) return fail(err, ErrorKind::bad_request, "parameter " + name + ": empty value");
      break;
  }
  return true;
}

bool parse_modelfile(std::string_view text, Modelfile* out, Error* err) {
  Modelfile mf;
  int line = 1;
  size_t pos = 0;
  while (pos < text.size()) {
    // One instruction per line: skip blank lines and comments.
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\r')) ++pos;
    if (pos >= text.size()) break;
    if (text[pos] == '\n') {
      ++pos;
      ++line;
      continue;
    }
    if (text[pos] == '#') {
      size_t nl = text.find('\n', pos);
      pos = nl == std::string_view::npos ? text.size() : nl;
      continue;
    }
    size_t word_end = pos;
    while (word_end < text.size() && !isspace(static_cast<unsigned char>(text[word_end]))) ++word_end;
    const std::string word = ascii_lower(text.substr(pos, word_end - pos));
    pos = word_end;
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
    const int at = line;
    if (word == "parameter") {
      size_t name_end = pos;
      while (name_end < text.size() && !isspace(static_cast<unsigned char>(text[name_end]))) ++name_end;
      const std::string name = ascii_lower(text.substr(pos, name_end - pos));
      pos = name_end;
      while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
      std::string value;
      if (!read_value(text, &pos, &line, &value, err)) return false;
      if (name.empty()) return line_fail(err, at, "PARAMETER needs a name and a value");
      Error e;
      if (!check_parameter(name, value, &e)) return line_fail(err, at, e.message);
      if (name != "stop")  // a later line replaces an earlier one; stop accumulates
        for (auto it = mf.profile.parameters.begin(); it != mf.profile.parameters.end();)
          it = it->first == name ? mf.profile.parameters.erase(it) : it + 1;
      mf.profile.parameters.emplace_back(name, value);
      continue;
    }
    std::string value;
    if (!read_value(text, &pos, &line, &value, err)) return false;
    if (word == "from") {
      if (value.empty()) return line_fail(err, at, "FROM needs a GGUF path or a model name");
      mf.from = value;
    } else if (word == "template") {
      mf.profile.template_text = value;
    } else if (word == "system") {
      mf.profile.system = value;
    } else if (word == "license") {
      mf.profile.license = value;
    } else if (word == "adapter" || word == "message" || word == "requires") {
      std::string upper = word;
      for (char& c : upper) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
      return line_fail(err, at, upper + " is not supported by owlet (FROM, TEMPLATE, SYSTEM, PARAMETER, LICENSE are)");
    } else {
      return line_fail(err, at, "unknown instruction '" + std::string(word) + "' (FROM, TEMPLATE, SYSTEM, PARAMETER, LICENSE)");
    }
  }
  if (mf.from.empty()) return fail(err, ErrorKind::bad_request, "Modelfile has no FROM line");
  *out = std::move(mf);
  return true;
}

std::string parameters_to_json(const Parameters& p) {
  json j = json::object();
  for (const auto& [name, value] : p) {
    switch (type_of(name)) {
      case ParamType::integer: j[name] = strtoll(value.c_str(), nullptr, 10); break;
      case ParamType::number: j[name] = strtod(value.c_str(), nullptr); break;
      case ParamType::text:
        if (!j.contains(name)) j[name] = json::array();
        j[name].push_back(value);
        break;
    }
  }
  return j.dump();
}

bool parameters_from_json(std::string_view text, Parameters* out, Error* err) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return fail(err, ErrorKind::parse, "params layer is not a JSON object");
  Parameters p;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const json& v = it.value();
    if (v.is_array()) {
      for (const auto& x : v)
        if (x.is_string()) p.emplace_back(it.key(), x.get<std::string>());
    } else if (v.is_string()) {
      p.emplace_back(it.key(), v.get<std::string>());
    } else if (v.is_number_integer()) {
      p.emplace_back(it.key(), std::to_string(v.get<long long>()));
    } else if (v.is_number()) {
      p.emplace_back(it.key(), json(v.get<double>()).dump());
    } else if (v.is_boolean()) {
      p.emplace_back(it.key(), v.get<bool>() ? "true" : "false");
    }
  }
  *out = std::move(p);
  return true;
}

std::string parameters_to_text(const Parameters& p) {
  std::string out;
  for (const auto& [name, value] : p) {
    std::string v = type_of(name) == ParamType::text ? json(value).dump() : value;
    char buf[64];
    snprintf(buf, sizeof buf, "%-30s ", name.c_str());
    out += buf + v + "\n";
  }
  return out;
}

}  // namespace owlet::models
