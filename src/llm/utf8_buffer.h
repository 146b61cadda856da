// Token pieces can end in the middle of a multi-byte UTF-8 character; this
// holds such a tail back until the rest arrives, so callers only ever see
// whole characters.
#pragma once

#include <string>

namespace owlet::llm {

class Utf8Buffer {
 public:
  // Appends bytes and returns the longest prefix made of complete characters.
  std::string push(const std::string& bytes);
  // Whatever is held back (an incomplete character at the end of the stream).
  std::string flush();

 private:
  std::string pending_;
};

// Length of the longest prefix of s that does not end inside a UTF-8 sequence.
size_t utf8_complete_prefix(const std::string& s);

}  // namespace owlet::llm
