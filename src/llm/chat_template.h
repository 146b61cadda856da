// Renders a conversation into the model's own prompt format, using the Jinja
// chat template stored in the GGUF (tokenizer.chat_template), exactly as
// llama-server does. Models without a template fall back to ChatML.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "llm/prompt_text.h"

namespace owlet::llm {

class Model;

// A call the assistant made to a tool the client offered.
struct ToolCall {
  std::string id;         // the client's or the model's call id ("" when the API has none, as Ollama's)
  std::string name;
  std::string arguments;  // a JSON object, as text
};

// One turn of a conversation, whatever API it came in through.
struct ChatMessage {
  std::string role;  // "system" | "user" | "assistant" | "tool"
  std::string content;
  std::string reasoning;             // assistant: its thinking (Ollama `thinking`, OpenAI `reasoning_content`)
  std::vector<ToolCall> tool_calls;  // assistant: the calls it made
  std::string tool_call_id;          // tool: the call this result answers (OpenAI)
  std::string tool_name;             // tool: the tool that produced it (Ollama)
};

class ChatTemplate {
 public:
  // template_override: Jinja source to use instead of the model's ("" = the model's own).
  static std::unique_ptr<ChatTemplate> create(const Model& model, const std::string& template_override,
                                              Error* err);
  ~ChatTemplate();

  // Prompt text ready to tokenize (with parse_special). A BOS token the
  // tokenizer adds by itself is not repeated in the text. With `text_spans`,
  // message contents that hold control-token text are reported there, to be
  // tokenized as plain text (prompt_text.h; Request::text_spans).
  bool apply(const std::vector<ChatMessage>& messages, bool add_generation_prompt, std::string* prompt,
             Error* err, std::vector<TextSpan>* text_spans = nullptr) const;

  // The Jinja source in use.
  std::string source() const;
  // Extra stop strings the template asks for (e.g. end-of-turn markers that are plain text).
  const std::vector<std::string>& additional_stops() const { return stops_; }

 private:
  ChatTemplate() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  mutable std::vector<std::string> stops_;
};

}  // namespace owlet::llm
