// The fixed part of a grounded prompt — what comes before the sources: owlet's
// system prompt, the client's, the history, the user turn's opening and the
// sources block's open marker. It is known before retrieval starts, so the
// engine can evaluate it while search and fetches run (a prefill-only job that
// leaves it in a slot's KV cache, where the real prompt then finds it), and it
// keys the ContextMemory.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "llm/chat_template.h"

namespace owlet::llm {
class Engine;
class Job;
}  // namespace owlet::llm

namespace owlet::answer {

struct BuiltContext;

// The templated text up to the first byte of the sources block's content, for a
// prompt built by build_messages with a non-empty sources block. "" when the
// template does not keep the user's text verbatim, or the history holds text
// that tokenizes as control tokens (rendered apart: prompt_text.h), nothing to
// reuse then. `chat` as the answer's own render (thinking, effort).
std::string grounded_prompt_prefix(const llm::ChatTemplate& tmpl, const llm::ChatOptions& chat,
                                   const std::vector<llm::ChatMessage>& history,
                                   const std::string& client_system, const std::string& today,
                                   const std::string& language_code);

// The prompt text a later prompt that extends `block` shares with it: `fixed_prefix`
// (which ends with the block's open line) and the block's content up to its close
// line. "" when `block` is not a whole block.
std::string extended_block_prefix(const std::string& fixed_prefix, const BuiltContext& block);

// Starts evaluating `prefix` into a slot's KV cache. Null when `prefix` is empty
// or the engine refused the job (the real prompt then simply evaluates it).
std::shared_ptr<llm::Job> start_prefill(llm::Engine& engine, const std::string& prefix, int num_ctx,
                                        int max_step_tokens = 0);

}  // namespace owlet::answer
