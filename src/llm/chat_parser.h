// Reads a model's output back into reasoning, answer text and tool calls, with
// the parser llama.cpp's chat library derived from the template for that
// request (ChatPrompt::format). No model-specific marker is known here.
//
// Streaming works as llama-server does it: the text so far is parsed again as
// a partial message after every piece, and only what changed is handed out
// (for long outputs every few pieces, so parsing stays cheap per token).
//
//   ChatParser parser(prompt);
//   for (piece : engine output) for (auto& d : parser.push(piece)) send(d);
//   for (auto& d : parser.finish()) send(d);
//   parser.message();  // content, reasoning, tool_calls
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "llm/chat_template.h"

namespace owlet::llm {

struct ParsedMessage {
  std::string content;    // the answer
  std::string reasoning;  // the thinking, apart
  std::vector<ToolCall> tool_calls;
};

// What one piece of output added. A tool call's first delta carries its id and
// name (and perhaps the start of its arguments); later ones only arguments.
struct MessageDelta {
  std::string reasoning;
  std::string content;
  int tool_index = -1;        // >= 0: this delta belongs to tool call tool_index
  std::string tool_id;        // first delta of a call only
  std::string tool_name;      // first delta of a call only
  std::string tool_arguments; // the next piece of its JSON arguments
  bool is_tool() const { return tool_index >= 0; }
};

class ChatParser {
 public:
  // A prompt without a format (a raw prompt) reads everything as content.
  explicit ChatParser(const ChatPrompt& prompt);
  explicit ChatParser(std::shared_ptr<const ChatFormat> format);
  ~ChatParser();
  ChatParser(const ChatParser&) = delete;
  ChatParser& operator=(const ChatParser&) = delete;

  // Adds generated text; returns what it changed (often nothing while a marker is incomplete).
  std::vector<MessageDelta> push(std::string_view piece);
  // The output is complete: parses it as a whole and returns what is left to send.
  std::vector<MessageDelta> finish();
  // The message as parsed so far (final after finish()).
  const ParsedMessage& message() const { return msg_; }
  // Everything generated, as the engine gave it.
  const std::string& text() const { return text_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string text_;
  ParsedMessage msg_;
};

// One whole completion at once (the same parse as ChatParser::finish).
ParsedMessage parse_completion(const ChatPrompt& prompt, const std::string& text);

}  // namespace owlet::llm
