// Finds stop strings in streamed text even when they straddle token
// boundaries, and holds back just enough text that a stop string is never
// partly emitted.
#pragma once

#include <string>
#include <vector>

namespace owlet::llm {

class StopMatcher {
 public:
  explicit StopMatcher(std::vector<std::string> stops);

  // Feeds new text. Returns the text that is now safe to emit. Sets *stopped
  // when a stop string was found (the returned text ends right before it).
  std::string push(const std::string& text, bool* stopped);
  // At the end of generation: the held-back text (no stop string followed).
  std::string flush();

 private:
  std::vector<std::string> stops_;
  std::string pending_;
};

}  // namespace owlet::llm
