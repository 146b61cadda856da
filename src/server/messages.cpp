#include "server/messages.h"

#include <string>

namespace owlet::server {
namespace {

using json = nlohmann::json;

bool bad(Error* err, const std::string& where, const std::string& what) {
  return fail(err, ErrorKind::bad_request, where + what);
}

bool parse_role(const json& m, MessageDialect d, const std::string& where, std::string* role, Error* err) {
  if (!m.contains("role") || !m["role"].is_string()) return bad(err, where, " must have a string 'role'");
  *role = m["role"].get<std::string>();
  if (d == MessageDialect::openai && *role == "developer") *role = "system";
  const bool known = *role == "system" || *role == "user" || *role == "assistant" ||
                     (*role == "tool" && d != MessageDialect::owlet);
  if (known) return true;
  return bad(err, where,
             d == MessageDialect::owlet   ? ".role must be system, user or assistant"
             : d == MessageDialect::openai ? ".role must be system, developer, user, assistant or tool"
                                           : ".role must be system, user, assistant or tool");
}

// A string; OpenAI also allows an array of parts, of which the text ones count.
bool parse_content(const json& m, MessageDialect d, const std::string& where, std::string* out, Error* err) {
  if (!m.contains("content") || m["content"].is_null()) return true;
  const json& c = m["content"];
  if (c.is_string()) {
    *out = c.get<std::string>();
    return true;
  }
  if (d != MessageDialect::openai || !c.is_array())
    return bad(err, where, d == MessageDialect::openai ? ".content must be a string or an array of parts"
                                                       : ".content must be a string");
  for (const auto& part : c) {
    if (!part.is_object() || !part.contains("type") || !part["type"].is_string())
      return bad(err, where, ".content parts must be objects with a string 'type'");
    if (part["type"] == "text" && part.contains("text") && part["text"].is_string()) {
      *out += part["text"].get<std::string>();
      continue;
    }
    return fail(err, ErrorKind::unsupported, where + ": only text content parts are supported by owlet's text models");
  }
  return true;
}

// OpenAI: [{id, type: "function", function: {name, arguments: "<json text>"}}];
// Ollama: [{function: {name, arguments: {…}}}].
bool parse_tool_calls(const json& m, MessageDialect d, const std::string& where, std::vector<llm::ToolCall>* out,
                      Error* err) {
  if (!m.contains("tool_calls") || m["tool_calls"].is_null()) return true;
  if (d == MessageDialect::owlet) return bad(err, where, ": tool calls are not part of /api/answer messages");
  if (!m["tool_calls"].is_array()) return bad(err, where, ".tool_calls must be an array");
  size_t i = 0;
  for (const auto& tc : m["tool_calls"]) {
    const std::string at = where + ".tool_calls[" + std::to_string(i++) + "]";
    if (!tc.is_object() || !tc.contains("function") || !tc["function"].is_object())
      return bad(err, at, " must be an object with a 'function' object");
    const json& f = tc["function"];
    llm::ToolCall call;
    if (!f.contains("name") || !f["name"].is_string() || f["name"].get<std::string>().empty())
      return bad(err, at, ".function.name must be a non-empty string");
    call.name = f["name"].get<std::string>();
    if (tc.contains("id") && tc["id"].is_string()) call.id = tc["id"].get<std::string>();
    const json args = f.contains("arguments") ? f["arguments"] : json::object();
    if (args.is_string()) {
      // OpenAI sends the arguments as JSON text: it must be an object.
      json parsed = json::parse(args.get<std::string>(), nullptr, false);
      if (parsed.is_discarded() || !parsed.is_object()) return bad(err, at, ".function.arguments must be a JSON object");
      call.arguments = parsed.dump();
    } else if (args.is_object()) {
      call.arguments = args.dump();
    } else if (args.is_null()) {
      call.arguments = "{}";
    } else {
      return bad(err, at, ".function.arguments must be an object (or, for OpenAI, JSON text of one)");
    }
    out->push_back(std::move(call));
  }
  return true;
}

bool optional_string(const json& m, const char* key, const std::string& where, std::string* out, Error* err) {
  if (!m.contains(key) || m[key].is_null()) return true;
  if (!m[key].is_string()) return bad(err, where, std::string(".") + key + " must be a string");
  *out = m[key].get<std::string>();
  return true;
}

}  // namespace

bool parse_messages(const json& messages, MessageDialect d, std::vector<llm::ChatMessage>* out, Error* err) {
  if (!messages.is_array()) return fail(err, ErrorKind::bad_request, "field 'messages' must be an array");
  size_t i = 0;
  for (const auto& m : messages) {
    const std::string where = "messages[" + std::to_string(i++) + "]";
    if (!m.is_object()) return bad(err, where, " must be an object");
    llm::ChatMessage msg;
    if (!parse_role(m, d, where, &msg.role, err) || !parse_content(m, d, where, &msg.content, err) ||
        !parse_tool_calls(m, d, where, &msg.tool_calls, err))
      return false;
    if (m.contains("images") && m["images"].is_array() && !m["images"].empty())
      return fail(err, ErrorKind::unsupported, where + ": images are not supported by owlet's text models");
    if (d == MessageDialect::owlet && (!m.contains("content") || !m["content"].is_string()))
      return bad(err, where, ".content must be a string");
    const char* reasoning_key = d == MessageDialect::openai ? "reasoning_content" : "thinking";
    if (!optional_string(m, reasoning_key, where, &msg.reasoning, err) ||
        !optional_string(m, "tool_call_id", where, &msg.tool_call_id, err) ||
        !optional_string(m, "tool_name", where, &msg.tool_name, err))
      return false;
    out->push_back(std::move(msg));
  }
  return true;
}

}  // namespace owlet::server
