// The one parser of chat messages for every API. The APIs differ in details —
// OpenAI's content may be an array of parts, its tool-call arguments are JSON
// text and a tool result names its call by id; Ollama's arguments are objects,
// a tool result names its tool, and images ride beside the text; owlet's own
// /api/answer takes plain turns only — so the dialect says which rules apply.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "common/error.h"
#include "llm/chat_template.h"

namespace owlet::server {

enum class MessageDialect { ollama, openai, owlet };

// Parses a `messages` array into *out (appending). A message that is not an
// object, a role the dialect does not know, content of the wrong shape, an
// image, or a malformed tool call is a bad_request naming messages[i] (images:
// unsupported). Roles: system, user, assistant, tool (+ OpenAI's developer as
// system); owlet's dialect takes system, user and assistant.
bool parse_messages(const nlohmann::json& messages, MessageDialect dialect, std::vector<llm::ChatMessage>* out,
                    Error* err);

}  // namespace owlet::server
