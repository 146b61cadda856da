#include "answer/fact_question.h"

#include <iterator>
#include <memory>
#include <vector>

#include "answer/icu_regex.h"
#include "answer/prompt_parts.h"
#include "common/text.h"

namespace owlet::answer {
namespace {

// What may stand before the question itself: "and", "ok,", "quick question:".
#define OWLET_LEAD                                                                                        \
  R"(^[\s\p{P}\p{S}]*((and|so|but|also|then|ok|okay|hey|hi|hello|please|q|question|quick question|one more)[\s,:.!]+|[\p{L}\p{N}'’-]+( [\p{L}\p{N}'’-]+){0,3},\s+)*)"

struct FormRule {
  QuestionForm form;
  const char* pattern;  // ICU, case-insensitive
};

// English first, then Chinese. A rule names a form of asking, never a topic.
const FormRule kForms[] = {
    // Question words that ask for a fact.
    {QuestionForm::strong, OWLET_LEAD R"((who|who's|whom|whose|when|where|where's|why|why's)\b)"},
    {QuestionForm::strong,
     OWLET_LEAD
     R"(how\s+(many|much|long|old|far|big|tall|high|large|deep|wide|often|fast|heavy|hot|cold|early|late|does|did|is|are|was|were|has|had|come)\b)"},
    // "What is X", "what was", "what does X mean" — but not "what is the best way to…"
    // or "what is your…", which are advice and opinion as often as facts.
    {QuestionForm::strong,
     OWLET_LEAD
     R"((what|what's|whats)(\s+(is|was|were)|'s|s)\s+(?!(the |a )?(best|good|great|nicest|most fun|easiest|ideal|right|perfect)\b|your\b|some\b|an? (good|great|fun|nice)\b))"},
    {QuestionForm::strong, OWLET_LEAD R"((what|which)\s+(does|did|do)\s+.{1,60}\b(mean|stand for|refer to|consist of|contain|cause|caused)\b)"},
    // A yes/no question about the world: "Is…?", "Did…?", "Has…?" ("Can you…",
    // "Could you…", "Would you…" are requests, "Do you…" asks the assistant).
    {QuestionForm::strong,
     OWLET_LEAD
     R"((is|are|was|were|did|does|has|have|had|will|isn't|aren't|wasn't|weren't|didn't|doesn't|hasn't|haven't)\s+(?!you\b)[^?.!]{2,}(\?|$))"},
    // A question word at the end, or a statement left open for the answer ("…was
    // written by", "…is better known as who").
    {QuestionForm::strong, R"(\b(who|what|which|when|where|whom)\s*[?.]?\s*$)"},
    {QuestionForm::strong,
     R"(^[^.!?\n]{6,120}\b(known as|called|written by|invented by|founded by|founded in|held in|located in|born in|refers to|named after|made of|the capital of)\s*[.…_:]*\s*$)"},
    // A question word after a preposition, or an attribute the answer names.
    {QuestionForm::strong, R"(\b(in|of|at|by|to|for|from|on|during|with|since|after|before|into)\s+(which|what|whom|whose)\b)"},
    {QuestionForm::strong,
     R"(\b(which|what)\s+(year|years|date|day|month|century|decade|era|country|countries|city|cities|state|province|continent|region|team|club|company|companies|language|languages|percentage|percent|nationality|age|river|mountain|planet|element|award|prize|album|film|movie|book|novel|song|player|president|king|queen|emperor|person|people|university|school|party|brand|species|animal|sport|event|war|battle|record|episode|season)\b)"},
    // Requests for knowledge.
    {QuestionForm::strong,
     OWLET_LEAD
     R"((can you |could you |would you )?(please\s+)?(tell me (about|who|what|when|where|why|how|the|if|whether|more about)|tell me (an? |some |\d+ |two |three |five )?((fun|funny|interesting|surprising|romantic|terrifying|little-known|cool|random) )?(fact|facts|something) (about|on)|(give|tell) me (an? |some |\d+ )?((fun|funny|interesting|surprising|random) )?facts?\b|give me (some |more )?(details|information|info|facts) (about|on)|explain|describe|define|give me (an? |the )?(overview|summary|history|definition|explanation|background)|what do you know about|who (is|was|are|were))\b)"},
    // A lookup written as a noun phrase: "population of Canada", "distance from Earth to the Sun".
    {QuestionForm::strong,
     OWLET_LEAD
     R"((the )?(distance|population|capital|height|length|depth|width|age|size|area|formula|chemical formula|meaning|definition|date|price|cost|weight|mass|speed|temperature|founder|author|inventor|president|ceo|history|origin|boiling point|melting point|atomic number|birthday|birthplace|lifespan|currency|language|time zone|address|symptoms|causes|side effects|ingredients)\s+(of|from|for|between|in)\s+\S)"},
    // Open forms: a question, but also the form of advice and brainstorming.
    {QuestionForm::open, OWLET_LEAD R"((what|what's|whats|which|how|can|could|should|would|do|is there|are there|name|list)\b)"},
    {QuestionForm::open, R"(\b(who|what|when|where|why|which|how)\b[^.!]*\?\s*$)"},
    {QuestionForm::open, R"(\?\s*$)"},
    // Chinese: a question word or particle asks for a fact.
    {QuestionForm::strong,
     R"(谁|什么时候|何时|何地|何人|哪(里|儿|个|些|一|位|年|国|家|种|天|座|条|部|首|支|所|场|届|次|本|款|类|方面)|几(个|位|年|次|种|天|岁|月|号|点|名|座|部|本|家|倍|届|场|条|所|颗)|多少|多大|多高|多长|多远|多久|多重|多深|多宽|为什么|为何|为啥|怎么|怎样|如何|是否|是不是|有没有|有哪些|是什么|叫什么|什么|吗\s*[？?。!！]?\s*$|呢\s*[？?]?\s*$|请问|介绍(一下)?|解释(一下)?|告诉我|列举|列出|说出|\p{Han}\s*？)"},
};

#undef OWLET_LEAD

// The user's own things: their notes are where the answer is.
const char* const kPersonal =
    R"(\b(my|mine|our|ours)\s+(own\s+)?\p{L}[\p{L}\p{N}'’-]*|\b(grandma|grandpa|granny|grandmother|grandfather|nana|mum|mom|mommy|dad|daddy|mother|father|wife|husband|partner|son|daughter|sister|brother|aunt|auntie|uncle)['’]s\s+\p{L}+|\bI\s+(have|own|wrote|noted|saved|stored|bought|keep|kept|put|use|live)\b|我的|我们的|我家|我们家|咱们|咱家|我(买|写|存|记|放|养|住|用)的)";

const IcuRegex& form_regex(size_t i) {
  static const std::vector<std::unique_ptr<IcuRegex>> compiled = [] {
    std::vector<std::unique_ptr<IcuRegex>> v;
    for (const FormRule& r : kForms) v.push_back(std::make_unique<IcuRegex>(r.pattern));
    return v;
  }();
  return *compiled[i];
}

const IcuRegex& personal_regex() {
  static const IcuRegex re(kPersonal);
  return re;
}

}  // namespace

const char* to_string(QuestionForm f) {
  switch (f) {
    case QuestionForm::none: return "none";
    case QuestionForm::open: return "open";
    case QuestionForm::strong: return "strong";
  }
  return "none";
}

FactQuestion detect_fact_question(std::string_view prompt) { return detect_fact_question(split_prompt(prompt)); }

FactQuestion detect_fact_question(const PromptParts& parts) {
  FactQuestion q;
  const std::string& ask = parts.ask;
  if (ask.find_first_not_of(' ') == std::string::npos) return q;
  // The strongest form that matches: a strong rule anywhere beats an open one.
  for (size_t i = 0; i < std::size(kForms); ++i) {
    if (kForms[i].form != QuestionForm::strong) continue;
    std::string m;
    if (form_regex(i).find(ask, &m)) {
      q.form = QuestionForm::strong;
      q.match = std::move(m);
      break;
    }
  }
  for (size_t i = 0; i < std::size(kForms) && q.form == QuestionForm::none; ++i) {
    std::string m;
    if (kForms[i].form == QuestionForm::open && form_regex(i).find(ask, &m)) {
      q.form = QuestionForm::open;
      q.match = std::move(m);
    }
  }
  std::string p;
  if (q.asks() && personal_regex().find(ask, &p)) {
    q.personal = true;
    q.personal_match = std::move(p);
  }
  // Trim what the lead allowed ("  and who") to the words people recognise.
  const size_t first = q.match.find_first_not_of(" \t\r\n,:.!?");
  if (first != std::string::npos) q.match.erase(0, first);
  while (!q.match.empty() && (q.match.back() == ' ' || q.match.back() == '?')) q.match.pop_back();
  q.match = std::string(utf8_prefix(q.match, 40));
  return q;
}

}  // namespace owlet::answer
