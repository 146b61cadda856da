// Message text inside a templated prompt.
//
// A prompt is tokenized with special-token parsing, so the template's own
// markers (<|im_start|>, <|eot_id|>…) become control tokens. Message contents —
// what a user typed or a web page said — must not: "<|im_end|>" in a user
// message would otherwise end the user's turn and let the text speak as the
// system or the assistant. So a message whose text would produce a control token
// is rendered through a placeholder, and its bytes in the final prompt are
// reported as a TextSpan that the engine tokenizes without special-token parsing.
// Messages without such text (nearly all) are rendered and tokenized exactly as
// before, so prompts, token counts and prefix caching do not change for them.
//
// llama.cpp's own server tokenizes the whole rendered chat prompt with
// parse_special and has the same hole; its tokenize_mixed (a prompt as pieces,
// each tokenized on its own) is the model for tokenize_prompt below.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

struct llama_vocab;

namespace owlet::llm {

struct TextSpan {
  size_t begin = 0;  // byte offsets into the prompt, [begin, end)
  size_t end = 0;
};

// True when tokenizing `text` with special-token parsing yields a control token.
bool has_control_token_text(const llama_vocab* vocab, const std::string& text);

// A message content taken out of the template's sight.
struct IsolatedText {
  std::string placeholder;  // what the template renders instead ("" = content left alone)
  std::string text;         // the content without its leading/trailing white space
};

// Replaces each content that holds control-token text by its white space around a
// unique placeholder (so a template that trims still trims), in place.
std::vector<IsolatedText> isolate_control_text(const llama_vocab* vocab, const std::vector<std::string*>& contents);

// Puts the isolated texts back where the template put their placeholders and
// returns their byte spans in the final prompt (sorted, not overlapping).
std::vector<TextSpan> restore_isolated_text(std::string* prompt, const std::vector<IsolatedText>& isolated);

// Tokens of a prompt: the spans as plain text, the rest with special-token
// parsing; `add_special` (BOS) applies to the start only.
std::vector<int> tokenize_prompt(const llama_vocab* vocab, const std::string& prompt,
                                 const std::vector<TextSpan>& text_spans, bool add_special);

}  // namespace owlet::llm
