// The fields of a chat request that shape what the chat template does and how
// the answer is read back: tools and tool choice, thinking (Ollama `think`,
// OpenAI `reasoning_effort`), OpenAI `logit_bias` and a GBNF `grammar`
// (llama-server's field), and the JSON of tool calls in each API's shape.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "common/error.h"
#include "llm/chat_template.h"
#include "server/chat_service.h"

namespace owlet::server {

// `tools`: [{type: "function", function: {name, description, parameters}}] (both APIs).
bool parse_tools(const nlohmann::json& tools, std::vector<llm::ToolSpec>* out, Error* err);

// Ollama: tools, think (true | false | "low" | "medium" | "high"), grammar.
bool parse_ollama_chat_options(const nlohmann::json& body, ChatRequest* out, Error* err);
// OpenAI: tools, tool_choice ("auto" | "none" | "required" | a named function),
// parallel_tool_calls, reasoning_effort ("none" turns thinking off),
// chat_template_kwargs.enable_thinking, logit_bias, grammar.
bool parse_openai_chat_options(const nlohmann::json& body, ChatRequest* out, Error* err);

// [{function: {name, arguments: {…}}}]
nlohmann::json ollama_tool_calls(const std::vector<llm::ToolCall>& calls);
// [{id, type: "function", function: {name, arguments: "<json>"}}]
nlohmann::json openai_tool_calls(const std::vector<llm::ToolCall>& calls);

}  // namespace owlet::server
