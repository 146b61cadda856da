// How to read one rendered request's output back: llama.cpp's parser for it
// (internal to src/llm; the public headers only name ChatFormat).
#pragma once

#include <chat.h>

namespace owlet::llm {

struct ChatFormat {
  common_chat_parser_params params;
  bool thinking_template = false;  // the template has thinking tags: whitespace after them is not content
};

}  // namespace owlet::llm
