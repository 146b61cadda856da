#include "llm/draft_fit.h"

#include <llama.h>

#include <cstring>
#include <string>

#include "llm/model.h"

namespace owlet::llm {

bool draft_fits(const Model& target, const Model& draft, Error* err) {
  const llama_vocab* t = target.vocab();
  const llama_vocab* d = draft.vocab();
  auto misfit = [&](const std::string& why) {
    return fail(err, ErrorKind::bad_request,
                "draft model " + draft.path() + " does not fit " + target.path() + ": " + why +
                    " (a draft must share the target's vocabulary, e.g. Qwen2.5-0.5B for Qwen2.5-7B)");
  };
  if (llama_vocab_type(t) != llama_vocab_type(d)) return misfit("a different kind of tokenizer");
  const int n = llama_vocab_n_tokens(t);
  if (n != llama_vocab_n_tokens(d))
    return misfit("vocabulary of " + std::to_string(llama_vocab_n_tokens(d)) + " tokens, the target has " +
                  std::to_string(n));
  if (llama_vocab_get_add_bos(t) != llama_vocab_get_add_bos(d) ||
      (llama_vocab_get_add_bos(t) && llama_vocab_bos(t) != llama_vocab_bos(d)))
    return misfit("different beginning-of-text token");
  if (llama_vocab_eos(t) != llama_vocab_eos(d)) return misfit("different end-of-text token");
  for (int i = 0; i < n; ++i) {
    const char* a = llama_vocab_get_text(t, i);
    const char* b = llama_vocab_get_text(d, i);
    if (std::strcmp(a ? a : "", b ? b : "") != 0) return misfit("token " + std::to_string(i) + " differs");
  }
  return true;
}

}  // namespace owlet::llm
