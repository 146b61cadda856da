// Does a prompt ask for facts? Recognised by the forms of a question in English and
// Chinese, read in the user's own words (prompt_parts.h: never in pasted material):
//
//   strong   a question word that asks for a fact: who, when, where, why, how many,
//            which year, in which…; a yes/no question ("Is…?", "Did…?"); "tell me
//            about", "explain", "describe"; 谁、什么时候、何时、哪、几、多少、为什么、
//            为何、怎么、如何、是否、吗、是不是、有没有、介绍、解释, a question mark
//   open     "what…" and "how do/can/should I…": the form of a factual question and
//            also of advice and brainstorming ("What are the best things to do in
//            Lyon?"); the learned router may keep such a prompt off the web only when
//            it is very sure (route_model.h, the question threshold)
//
// And is it about the user's own things ("my bicycle", "our wifi", "我的…", "我家"):
// such a question always looks in the knowledge base, where the user's notes are.
//
// A direct task (direct_tasks.h) is decided before this: "write a poem about who I
// am" is writing, "翻译：你好吗？" is translation.
#pragma once

#include <string>
#include <string_view>

namespace owlet::answer {

struct PromptParts;

enum class QuestionForm { none, open, strong };
const char* to_string(QuestionForm f);  // "none", "open", "strong"

struct FactQuestion {
  QuestionForm form = QuestionForm::none;
  std::string match;           // the words that made it a question, for the route's reason
  bool personal = false;       // about the user's own things
  std::string personal_match;  // "my bicycle", "我的"
  bool asks() const { return form != QuestionForm::none; }
};

FactQuestion detect_fact_question(std::string_view prompt);
FactQuestion detect_fact_question(const PromptParts& parts);

}  // namespace owlet::answer
