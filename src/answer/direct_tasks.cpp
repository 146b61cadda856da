#include "answer/direct_tasks.h"

#include <iterator>
#include <memory>
#include <vector>

#include "answer/icu_regex.h"
#include "answer/prompt_parts.h"

namespace owlet::answer {
namespace {

struct TaskRule {
  const char* kind;
  const char* pattern;  // ICU, case-insensitive
};

// Small talk only when it is all the prompt says (a greeting before a question is
// still a question): one or more greeting phrases, punctuation between them.
#define OWLET_GREETING                                                                                          \
  R"((hi|hello|hey|hiya|howdy|yo|greetings|good (morning|afternoon|evening|night|day)|thanks|thank you( (so|very) much)?|)" \
  R"(thx|cheers|bye|goodbye|see you( later)?|how are you( doing)?( today)?|how's it going|what's up|)"          \
  R"(nice to meet you|who are you|what('s| is) your name|what can you do|are you there|owlet|there|friend|)"    \
  R"(你好|您好|嗨|哈喽|哈啰|早上好|上午好|中午好|下午好|晚上好|早安|午安|晚安|谢谢|谢谢你|多谢|感谢|再见|拜拜|)"    \
  R"(你是谁|你叫什么(名字)?|你能做什么|你会做什么|你好吗|最近怎么样|在吗))"

const TaskRule kRules[] = {
    {"greeting", "^[\\s\\p{P}\\p{S}]*" OWLET_GREETING "([\\s\\p{P}\\p{S}]*" OWLET_GREETING ")*[\\s\\p{P}\\p{S}]*$"},
    // Code: a request about code. "fix the bug in this code", "write a Python function".
    {"code",
     R"(\b(fix|debug|refactor|optimi[sz]e|review|explain|write|implement|convert|port|complete|rewrite|test)\b.{0,40}\b(code|script|program|regex|regular expression|sql query|bug|snippet|unit tests?|compiler error|stack trace)\b|\b(write|implement|code)\b.{0,20}\b(function|class|method)\b)"},
    {"code",
     R"(\b(python|javascript|typescript|c\+\+|java|rust|golang|bash|shell|sql|html|css)\b\s+(function|script|code|program|snippet|class|one-liner))"},
    {"code", R"((写|修复|修改|调试|优化|解释|重构|实现|补全|检查)(一下|一个|一段)?.{0,12}(代码|函数|脚本|正则表达式|程序里|程序中|这段程序)|这段代码|(代码|函数|程序)(有|出了?|报)(错|bug|问题))"},
    // Translation of supplied text: imperative forms only ("who translated the Bible
    // into English?" is a question about the world).
    {"translation",
     R"(^\W*(please\s+)?((can|could|would) you\s+)?(please\s+)?translate\b|\btranslate (this|that|these|the following|it|my|the sentence|the text|the phrase|the word|from \w+ )|\b(translation of|translate) .{0,40}\b(into|to) (english|chinese|mandarin|french|german|spanish|japanese|korean|italian|portuguese|russian|arabic)\b|\bhow (do|would|can) (you|i) say\b.{0,60}\bin (english|chinese|mandarin|french|german|spanish|japanese|korean|italian)\b)"},
    {"translation",
     R"((把|将).{0,80}(翻译|译)(成|为)|翻译成|译成|翻成|翻译为|译为|翻译一下|帮我翻译|请翻译|^\W*翻译|用(英语|英文|中文|汉语|日语|法语|德语|西班牙语|韩语)(怎么|如何)说)"},
    // Maths: an expression with an operator, or a maths task.
    {"maths", R"(^(?!\s*\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\W*$)[\s\d.,()+\-*/×÷^=%x?]*\d\s*[+\-*/×÷^%]\s*\(?\d[\s\d.,()+\-*/×÷^=%x?]*$)"},
    {"maths",
     R"(\b(what is|what's|calculate|compute|evaluate|work out)\s+-?\(?\d[\d.,]*\)?\s*([+\-*/×÷^]|times|plus|minus|divided by|to the power of)\s*\(?-?\d|\b(solve|simplify|factori[sz]e|differentiate|integrate|expand)\b.{0,30}[=^x\d]|\b(derivative|integral|antiderivative) of\b|\bprove that\b|\bsquare root of \d|\b\d+(\.\d+)?\s*% of \d)"},
    // Digits around + * × ÷ ^ (not - or /: dates are written with those).
    {"maths", R"(计算(?!机)|求解|解方程|解这个方程|等于(多少|几)|化简|求导|导数|(不定|定)积分|求积分|(请|试)证明|平方根|\d\s*[+*×÷^]\s*\d|\d\s+[-/]\s+\d)"},
    // Writing: creative writing and rewriting the user's own text.
    {"writing",
     R"(\b(write|compose|draft|create|make up|tell me|give me)\b.{0,30}\b(haiku|poem|sonnet|limerick|story|short story|tale|joke|song|lyrics|essay|cover letter|letter|email|e-mail|speech|toast|slogan|tweet|caption|riddle|rap|ode|verse)s?\b)"},
    {"writing",
     R"(\b(rewrite|rephrase|paraphrase|proofread|reword|shorten|polish|edit|summari[sz]e|correct the grammar( of)?|fix the grammar( of)?)\b.{0,20}\b(this|these|that|the following|below|above|my|it)\b)"},
    {"writing",
     R"((写|编|创作|讲)(一|个|首|篇|段|则)(个|首|篇|段|则)?.{0,8}(诗|俳句|故事|笑话|歌词|小说|作文|情书|邮件|演讲稿|祝福语|口号|段子|对联)|(改写|重写|润色|缩写|精简|校对|总结|概括)(一下)?(这|以下|下面|上面|我的)|帮我(改写|润色|总结|概括|校对|修改))"},
};

#undef OWLET_GREETING

const IcuRegex& regex_for(size_t i) {
  static const std::vector<std::unique_ptr<IcuRegex>> compiled = [] {
    std::vector<std::unique_ptr<IcuRegex>> v;
    for (const TaskRule& r : kRules) v.push_back(std::make_unique<IcuRegex>(r.pattern));
    return v;
  }();
  return *compiled[i];
}

}  // namespace

DirectTask detect_direct_task(std::string_view prompt) { return detect_direct_task(split_prompt(prompt)); }

DirectTask detect_direct_task(const PromptParts& parts) {
  // The request lives in the ask; a pasted document does not make a prompt a greeting.
  const std::string& ask = parts.ask;
  for (size_t i = 0; i < std::size(kRules); ++i) {
    std::string m;
    const bool greeting = std::string_view(kRules[i].kind) == "greeting";
    if (greeting && parts.pasted()) continue;
    if (regex_for(i).find(ask, &m)) return {kRules[i].kind, m};
  }
  if (parts.code) return {"code", "a code block"};
  return {};
}

}  // namespace owlet::answer
