// Whether a draft model can propose tokens for a target model in speculative
// decoding: the engine compares the draft's token ids with the target's, so
// both must speak the same tokenizer — the same vocabulary type, size, BOS/EOS
// handling and the same text for every token id.
#pragma once

#include "common/error.h"

namespace owlet::llm {

class Model;

// False with bad_request naming both files and the first difference.
bool draft_fits(const Model& target, const Model& draft, Error* err);

}  // namespace owlet::llm
