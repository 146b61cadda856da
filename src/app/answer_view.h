// How `owlet ask` and `owlet run` show an answer on a terminal or a pipe: the
// thinking apart from the answer, the streamed text, then the note and the
// numbered sources on stdout, the route and speed on stderr.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include "answer/pipeline.h"

namespace owlet::app {

// Reasoning models' thinking, kept apart from the answer: dimmed on a
// terminal, on stderr when stdout is piped (so the answer there is the answer
// alone), or not shown at all.
class ThinkingView {
 public:
  explicit ThinkingView(bool show);
  bool piece(std::string_view t);
  void close();  // before the first piece of the answer

 private:
  bool show_;
  FILE* out_;
  bool dim_ = false, open_ = false;
};

// --think / `/set think`: true | false | low | medium | high ("" = the model's default).
bool parse_think(const std::string& v, answer::AnswerRequest* req);

// One line: the tier that served the answer, why, and where the time went.
std::string route_summary(const answer::AnswerResult& r);

// After the streamed answer: the note and the numbered sources on stdout; the
// route and the model's speed on stderr unless quiet.
void print_answer_tail(const answer::AnswerResult& r, bool quiet);

}  // namespace owlet::app
