#include "server/chat_options.h"

#include <string>

namespace owlet::server {
namespace {

using json = nlohmann::json;

bool bad(Error* err, const std::string& msg) { return fail(err, ErrorKind::bad_request, msg); }

// think: true | false | "low" | "medium" | "high" (a level asks for thinking,
// at that effort where the template takes one).
bool parse_think(const json& v, ChatRequest* out, Error* err) {
  if (v.is_null()) return true;
  if (v.is_boolean()) {
    out->think = v.get<bool>();
    return true;
  }
  if (v.is_string() && (v == "low" || v == "medium" || v == "high")) {
    out->think = true;
    out->chat.reasoning_effort = v.get<std::string>();
    return true;
  }
  return bad(err, "field 'think' must be true, false, \"low\", \"medium\" or \"high\"");
}

bool parse_grammar(const json& body, ChatRequest* out, Error* err) {
  if (!body.contains("grammar") || body["grammar"].is_null()) return true;
  if (!body["grammar"].is_string()) return bad(err, "field 'grammar' must be a GBNF grammar string");
  if (!out->options.sampling.grammar.empty())
    return bad(err, "fields 'grammar' and 'format' / 'response_format' cannot be combined");
  out->options.sampling.grammar = body["grammar"].get<std::string>();
  return true;
}

bool parse_tool_choice(const json& v, ChatRequest* out, Error* err) {
  if (v.is_null()) return true;
  if (v.is_string()) {
    if (v == "auto") out->chat.tool_choice = llm::ToolChoice::automatic;
    else if (v == "none") out->chat.tool_choice = llm::ToolChoice::none;
    else if (v == "required") out->chat.tool_choice = llm::ToolChoice::required;
    else return bad(err, "field 'tool_choice' must be \"auto\", \"none\", \"required\" or a named function");
    return true;
  }
  // {type: "function", function: {name}}: that function must be called.
  const json* name = v.is_object() && v.contains("function") && v["function"].is_object() && v["function"].contains("name")
                         ? &v["function"]["name"]
                         : nullptr;
  if (!name || !name->is_string()) return bad(err, "field 'tool_choice.function.name' must be a string");
  std::vector<llm::ToolSpec> kept;
  for (const auto& t : out->chat.tools)
    if (t.name == name->get<std::string>()) kept.push_back(t);
  if (kept.empty()) return bad(err, "tool_choice names '" + name->get<std::string>() + "', which is not among the tools");
  out->chat.tools = std::move(kept);
  out->chat.tool_choice = llm::ToolChoice::required;
  return true;
}

bool parse_reasoning_effort(const json& body, ChatRequest* out, Error* err) {
  if (body.contains("reasoning_effort") && !body["reasoning_effort"].is_null()) {
    const json& e = body["reasoning_effort"];
    if (!e.is_string() || !(e == "none" || e == "minimal" || e == "low" || e == "medium" || e == "high"))
      return bad(err, "field 'reasoning_effort' must be \"none\", \"minimal\", \"low\", \"medium\" or \"high\"");
    if (e == "none") {
      out->think = false;
    } else {
      out->chat.reasoning_effort = e == "minimal" ? "low" : e.get<std::string>();
    }
  }
  // llama-server's and vLLM's way to switch thinking: chat_template_kwargs.enable_thinking.
  if (body.contains("chat_template_kwargs") && body["chat_template_kwargs"].is_object()) {
    const json& k = body["chat_template_kwargs"];
    if (k.contains("enable_thinking")) {
      if (!k["enable_thinking"].is_boolean()) return bad(err, "field 'chat_template_kwargs.enable_thinking' must be a boolean");
      out->think = k["enable_thinking"].get<bool>();
    }
  }
  return true;
}

// {"<token id>": bias in [-100, 100]}
bool parse_logit_bias(const json& v, ChatRequest* out, Error* err) {
  if (v.is_null()) return true;
  if (!v.is_object()) return bad(err, "field 'logit_bias' must be an object of token id -> bias");
  for (const auto& [key, bias] : v.items()) {
    char* end = nullptr;
    long id = std::strtol(key.c_str(), &end, 10);
    if (key.empty() || *end != '\0' || id < 0 || id > (1 << 30))
      return bad(err, "field 'logit_bias' keys must be token ids");
    if (!bias.is_number() || bias.get<double>() < -100 || bias.get<double>() > 100)
      return bad(err, "field 'logit_bias' values must be numbers in [-100, 100]");
    out->options.sampling.logit_bias.emplace_back(static_cast<int>(id), bias.get<float>());
  }
  return true;
}

}  // namespace

bool parse_tools(const json& tools, std::vector<llm::ToolSpec>* out, Error* err) {
  if (tools.is_null()) return true;
  if (!tools.is_array()) return bad(err, "field 'tools' must be an array");
  size_t i = 0;
  for (const auto& t : tools) {
    const std::string where = "tools[" + std::to_string(i++) + "]";
    if (!t.is_object() || !t.contains("function") || !t["function"].is_object())
      return bad(err, where + " must be an object with a 'function' object");
    if (t.contains("type") && t["type"] != "function") return bad(err, where + ".type must be \"function\"");
    const json& f = t["function"];
    llm::ToolSpec spec;
    if (!f.contains("name") || !f["name"].is_string() || f["name"].get<std::string>().empty())
      return bad(err, where + ".function.name must be a non-empty string");
    spec.name = f["name"].get<std::string>();
    if (f.contains("description") && f["description"].is_string()) spec.description = f["description"].get<std::string>();
    if (f.contains("parameters") && !f["parameters"].is_null()) {
      if (!f["parameters"].is_object()) return bad(err, where + ".function.parameters must be a JSON Schema object");
      spec.parameters = f["parameters"].dump();
    }
    out->push_back(std::move(spec));
  }
  return true;
}

bool parse_ollama_chat_options(const json& body, ChatRequest* out, Error* err) {
  if (body.contains("tools") && !parse_tools(body["tools"], &out->chat.tools, err)) return false;
  if (body.contains("think") && !parse_think(body["think"], out, err)) return false;
  return parse_grammar(body, out, err);
}

bool parse_openai_chat_options(const json& body, ChatRequest* out, Error* err) {
  if (body.contains("tools") && !parse_tools(body["tools"], &out->chat.tools, err)) return false;
  if (body.contains("tool_choice") && !parse_tool_choice(body["tool_choice"], out, err)) return false;
  out->chat.parallel_tool_calls = true;  // OpenAI's default; the template may not support it
  if (body.contains("parallel_tool_calls") && !body["parallel_tool_calls"].is_null()) {
    if (!body["parallel_tool_calls"].is_boolean()) return bad(err, "field 'parallel_tool_calls' must be a boolean");
    out->chat.parallel_tool_calls = body["parallel_tool_calls"].get<bool>();
  }
  if (!parse_reasoning_effort(body, out, err)) return false;
  if (body.contains("logit_bias") && !parse_logit_bias(body["logit_bias"], out, err)) return false;
  return parse_grammar(body, out, err);
}

json ollama_tool_calls(const std::vector<llm::ToolCall>& calls) {
  json out = json::array();
  for (const auto& c : calls) {
    json args = json::parse(c.arguments, nullptr, false);
    if (args.is_discarded()) args = json::object();  // a call cut off mid-arguments
    out.push_back({{"function", {{"name", c.name}, {"arguments", args}}}});
  }
  return out;
}

json openai_tool_calls(const std::vector<llm::ToolCall>& calls) {
  json out = json::array();
  for (const auto& c : calls)
    out.push_back({{"id", c.id}, {"type", "function"}, {"function", {{"name", c.name}, {"arguments", c.arguments}}}});
  return out;
}

}  // namespace owlet::server
