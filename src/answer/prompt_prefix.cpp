#include "answer/prompt_prefix.h"

#include "answer/context_builder.h"
#include "answer/prompt.h"
#include "llm/engine.h"

namespace owlet::answer {
namespace {

// Stands for the sources' content while templating; never part of a real prompt.
const char kMark[] = "\x1f" "owlet-sources" "\x1f";

}  // namespace

std::string grounded_prompt_prefix(const llm::ChatTemplate& tmpl, const llm::ChatOptions& chat,
                                   const std::vector<llm::ChatMessage>& history,
                                   const std::string& client_system, const std::string& today,
                                   const std::string& language_code) {
  const std::string block = std::string(sources_open_line()) + kMark;
  const std::vector<llm::ChatMessage> msgs = build_messages("", block, history, client_system, today, language_code);
  llm::ChatPrompt rendered;
  Error err;
  if (!tmpl.render(msgs, chat, &rendered, &err) || !rendered.text_spans.empty()) return "";
  const std::string& text = rendered.prompt;
  const size_t at = text.find(kMark);
  // The mark must appear once, right after the open line, or the template
  // rewrote the user's text and a prefix would not match the real prompt.
  if (at == std::string::npos || text.find(kMark, at + 1) != std::string::npos) return "";
  const std::string open(sources_open_line());
  if (at < open.size() || text.compare(at - open.size(), open.size(), open) != 0) return "";
  return text.substr(0, at);
}

std::string extended_block_prefix(const std::string& fixed_prefix, const BuiltContext& block) {
  const std::string_view open = sources_open_line(), close = sources_close_line();
  if (block.text.size() < open.size() + close.size()) return "";
  return fixed_prefix + block.text.substr(open.size(), block.text.size() - open.size() - close.size());
}

std::shared_ptr<llm::Job> start_prefill(llm::Engine& engine, const std::string& prefix, int num_ctx,
                                        int max_step_tokens) {
  if (prefix.empty()) return nullptr;
  llm::Request r;
  r.prompt = prefix;
  r.prefill_only = true;
  r.max_step_tokens = max_step_tokens;
  r.num_ctx = num_ctx;
  std::shared_ptr<llm::Job> job = engine.submit(std::move(r));
  if (job->done() && !job->wait().ok) return nullptr;
  return job;
}

}  // namespace owlet::answer
