// One model turn of an answer: the conversation rendered with the model's own
// chat template (thinking as asked, tools if offered), generated on its
// engine, and the output read back by the template's parser as it streams.
// Reasoning and answer text are handed out apart; tool calls come back whole.
// Only the answer text is ever meant for citations, the cache or learning.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "llm/chat_parser.h"
#include "llm/engine.h"

namespace owlet::llm {
class ModelHandle;
}

namespace owlet::answer {

struct TurnRequest {
  std::vector<llm::ChatMessage> messages;
  llm::ChatOptions chat;           // tools, tool choice, effort
  std::optional<bool> think;       // unset = the template's default (thinking models think)
  llm::Request request;            // sampling, limits, stops, cancel; the prompt is filled in here
  std::shared_ptr<llm::Job> wait_for;  // a job to finish first (an early prefill of the prompt's start)
};

struct TurnCallbacks {
  std::function<bool(std::string_view)> on_content;    // answer text as it streams; false = stop
  std::function<bool(std::string_view)> on_reasoning;  // thinking as it streams; false = stop
  std::function<void(const std::string&)> on_prompt;   // the templated prompt
};

struct TurnResult {
  llm::Completion completion;      // counts, timings, finish (the raw text too)
  llm::ParsedMessage message;      // content, reasoning, tool calls
  bool stopped = false;            // a callback asked to stop
  double template_ms = 0;
  double waited_ms = 0;            // waiting for wait_for
};

// False with *err when the model's template cannot do what was asked
// (unsupported: thinking or tools), fails to render, or the engine refuses or
// fails the job. A cancelled job is not an error (completion.finish says so).
bool run_turn(llm::ModelHandle& model, const std::string& model_name, TurnRequest req, const TurnCallbacks& cb,
              TurnResult* out, Error* err);

}  // namespace owlet::answer
