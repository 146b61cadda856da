// The model-assisted router (config `router_model: true`, off by default): when the
// learned classifier is unsure (within RouterOptions::uncertain_margin of a
// threshold) and a chat model is loaded, the model itself labels the prompt with one
// letter. The instructions come first and never change, so the engine reuses their
// KV cache (prefix reuse) and each call evaluates only the prompt and a token or two.
#pragma once

#include <string>
#include <string_view>

#include "answer/router.h"
#include "common/error.h"

namespace owlet::llm {
class ModelHandle;
}

namespace owlet::answer {

struct RefineOutcome {
  char label = 0;        // N (no retrieval), S (settled), C (changes over years), F (changes within a year)
  double ms = 0;         // time the model took, all told (template, queue, prefill, generation)
  double prefill_ms = 0, generate_ms = 0;
  int prompt_tokens = 0, cached_tokens = 0;
};

// The fixed instructions (the cached prefix) of the one-token classification prompt.
const char* route_refiner_instructions();

// Asks the model for a label and applies it to *pc: N -> no retrieval, S -> never,
// C -> slow, F -> fast; decided_by becomes "model" and a reason says what changed.
// False and *err (pc untouched) when the model cannot be asked (template, queue,
// context) or its reply holds no label; out->ms is set either way.
bool refine_with_model(llm::ModelHandle& handle, std::string_view prompt, PromptClass* pc, RefineOutcome* out,
                       Error* err);

}  // namespace owlet::answer
