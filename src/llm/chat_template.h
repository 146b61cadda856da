// Renders a conversation into the model's own prompt format, using the Jinja
// chat template stored in the GGUF (tokenizer.chat_template), exactly as
// llama-server does. Models without a template fall back to ChatML.
//
// render() also returns what llama.cpp's chat library derives from the
// template for one request: the grammar that shapes tool calls (with its lazy
// triggers), the tokens to keep visible, and the parser that reads the output
// back into reasoning, content and tool calls (llm/chat_parser.h). The
// model-specific work (<think> tags, tool-call syntaxes) is all llama.cpp's.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "llm/prompt_text.h"
#include "llm/sampling.h"

namespace owlet::llm {

class Model;
struct Request;

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

// A function the client offers the model.
struct ToolSpec {
  std::string name;
  std::string description;
  std::string parameters = "{}";  // JSON Schema of the arguments object, as text
};

enum class ToolChoice { automatic, required, none };

// What a template can do, as llama.cpp's analysis of its source says.
struct TemplateCaps {
  bool tools = false;                // describes offered tools to the model
  bool tool_calls = false;           // renders the assistant's tool calls
  bool parallel_tool_calls = false;
  bool thinking = false;             // the model writes separable reasoning (e.g. <think>…</think>)
  bool reasoning_effort = false;     // takes a reasoning_effort (low | medium | high)
};

// How one request is rendered.
struct ChatOptions {
  std::vector<ToolSpec> tools;
  ToolChoice tool_choice = ToolChoice::automatic;
  bool parallel_tool_calls = false;
  bool thinking = true;              // thinking models think unless told not to (Ollama's default)
  std::string reasoning_effort;      // "" | "low" | "medium" | "high"; used where the template takes it
  bool add_generation_prompt = true;
};

struct ChatFormat;  // how to read the output back (llama.cpp's parser); see chat_parser.h

// One rendered request: the prompt and everything the generation and the
// parser of its output need.
struct ChatPrompt {
  std::string prompt;                     // ready to tokenize (with parse_special outside text_spans)
  std::vector<TextSpan> text_spans;       // message text holding control-token text (prompt_text.h)
  std::string grammar;                    // GBNF for tool calls ("" = none)
  bool grammar_lazy = false;              // only from the first trigger on
  std::vector<GrammarTrigger> grammar_triggers;
  std::string generation_prompt;          // the prompt's tail the grammar and the parser start from
  std::vector<std::string> preserved_tokens;  // special tokens whose text the parser needs
  std::vector<std::string> stops;         // extra stop strings the template asks for
  bool thinking = false;                  // the template separates reasoning in this render
  std::string thinking_start;             // e.g. "<think>"
  std::vector<std::string> thinking_end;  // e.g. {"</think>"}
  std::shared_ptr<const ChatFormat> format;

  // Puts the prompt and its text spans, the tool-call grammar, its triggers and the preserved tokens and stops
  // on a request. A grammar the client set itself (structured output) is kept
  // instead of the template's: the client is in charge of the shape.
  void configure(Request* r) const;
};

class ChatTemplate {
 public:
  // template_override: Jinja source to use instead of the model's ("" = the model's own).
  static std::unique_ptr<ChatTemplate> create(const Model& model, const std::string& template_override,
                                              Error* err);
  // A template from its source alone, with these BOS/EOS texts ("" = ChatML).
  static std::unique_ptr<ChatTemplate> from_source(const std::string& source, const std::string& bos,
                                                   const std::string& eos, Error* err);
  // The template a GGUF file carries, read from its metadata without loading
  // the weights (/api/show); ChatML when it has none. io when unreadable.
  static std::unique_ptr<ChatTemplate> from_gguf(const std::string& path, Error* err);
  ~ChatTemplate();

  // Prompt text ready to tokenize (with parse_special). A BOS token the
  // tokenizer adds by itself is not repeated in the text. With `text_spans`,
  // message contents that hold control-token text are reported there, to be
  // tokenized as plain text (prompt_text.h; Request::text_spans).
  bool apply(const std::vector<ChatMessage>& messages, bool add_generation_prompt, std::string* prompt,
             Error* err, std::vector<TextSpan>* text_spans = nullptr) const;
  // The prompt plus tools, tool choice and thinking, and what generating and
  // parsing the answer need. bad_request when the template fails on these
  // messages; unsupported for tools or thinking the template cannot do.
  bool render(const std::vector<ChatMessage>& messages, const ChatOptions& options, ChatPrompt* out,
              Error* err) const;

  const TemplateCaps& caps() const { return caps_; }
  // The Jinja source in use.
  std::string source() const;
  // Extra stop strings the template asks for (e.g. end-of-turn markers that are plain text).
  const std::vector<std::string>& additional_stops() const { return stops_; }

 private:
  ChatTemplate() = default;
  bool init_caps(Error* err);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  TemplateCaps caps_;
  mutable std::vector<std::string> stops_;
};

}  // namespace owlet::llm
