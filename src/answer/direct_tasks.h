// Prompts the model answers on its own, recognised by rule in English and Chinese:
// requests whose answer needs no outside facts. They route to tier `none`: no
// search, no knowledge base. They are decided before the question forms of
// fact_question.h ("给我推荐几个名字吗？" is brainstorming, not a question).
//
//   greeting       small talk: "hi", "thanks!", "你好", "你是谁", "在干嘛呢"
//   code           a code block or code lines, or a request to write/fix/explain code
//   translation    a request to translate supplied text: "translate …", "翻译成英文"
//   maths          arithmetic or a maths task: "what is 17*23", "solve x^2 = 4", "求导"
//   writing        creative writing or rewriting: "write a haiku", "写一首诗", "润色这段"
//   brainstorming  ideas, names, tips, a list of options: "give me ideas for…", "推荐几个名字"
//   classification sorting the items the prompt lists: "classify these as…", "which of these…"
//   opinion        the assistant's own view: "what do you think of…", "你觉得…"
//   supplied text  work on text the prompt carries and points at: "这段话…：…", "this review: …"
#pragma once

#include <string>
#include <string_view>

namespace owlet::answer {

struct DirectTask {
  std::string kind;   // "" when the prompt is none of these
  std::string match;  // the words that matched, for the route's reason
  bool matched() const { return !kind.empty(); }
};

DirectTask detect_direct_task(std::string_view prompt);
// The same on a prompt already split (prompt_parts.h).
struct PromptParts;
DirectTask detect_direct_task(const PromptParts& parts);

}  // namespace owlet::answer
