// Splits a document into retrieval chunks under a token budget.
//
// Units are sentences inside paragraphs (blank-line separated). A sentence ends at
// . ! ? followed by space, or right after 。！？； (and their ASCII/fullwidth kin).
// Sentences are packed greedily; a chunk closes early at a paragraph boundary when it
// is at least half full and the next paragraph would not fit, so chunks follow the
// author's structure. Consecutive chunks inside a paragraph share `overlap_tokens` of
// trailing sentences. A sentence longer than the budget is cut at ICU word
// boundaries; only a single "word" longer than the whole budget (a base64 blob) is cut
// between code points. A chunk is always a byte range of the (sanitized) input, so it
// never ends inside a multi-byte character.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace owlet::kb {

struct ChunkerOptions {
  int max_tokens = 256;     // budget per chunk (estimate_tokens units)
  int overlap_tokens = 32;  // carried over between chunks of one paragraph
};

struct Chunk {
  std::string text;
  int tokens = 0;
  size_t offset = 0;  // byte offset of text in the sanitized input
};

// Invalid UTF-8 in `text` is replaced by U+FFFD first; offsets refer to that string.
std::vector<Chunk> chunk_text(std::string_view text, const ChunkerOptions& opts = {});

}  // namespace owlet::kb
