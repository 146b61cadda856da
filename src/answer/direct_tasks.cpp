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
    {"code",
     R"(\b(how (do|can|would|should) (i|you|we)|how to|write|implement|create|make)\b.{0,60}\b(in|using|with) (python|javascript|typescript|java|c\+\+|c#|rust|golang|bash|shell|sql|php|ruby|kotlin|swift|powershell|regex)\b)"},
    {"code",
     R"((用|使用)\s*(python|java|javascript|typescript|c\+\+|c#|go|golang|rust|sql|shell|bash|php|ruby|swift|kotlin|html|css|matlab|r语言|正则)|(python|java|javascript|typescript|c\+\+|c#|golang|rust|sql|shell|bash|php|ruby|swift|kotlin)\s*(代码|函数|脚本|程序|实现|怎么写|报错|语句|查询)|写(一个|个|一段)?.{0,10}(函数|脚本|程序|算法|sql|正则|爬虫|接口))"},
    // Translation of supplied text: imperative forms only ("who translated the Bible
    // into English?" is a question about the world).
    {"translation",
     R"(^\W*(please\s+)?((can|could|would) you\s+)?(please\s+)?translate\b|\btranslate (this|that|these|the following|it|my|the sentence|the text|the phrase|the word|from \w+ )|\b(translation of|translate) .{0,40}\b(into|to) (english|chinese|mandarin|french|german|spanish|japanese|korean|italian|portuguese|russian|arabic)\b|\bhow (do|would|can) (you|i) say\b.{0,60}\bin (english|chinese|mandarin|french|german|spanish|japanese|korean|italian)\b)"},
    {"translation",
     R"((把|将).{0,80}(翻译|译)(成|为)(?!什么|哪)|翻译成(?!什么|哪)|译成(?!什么|哪)|翻成|翻译为(?!什么|哪)|译为(?!什么|哪)|翻译一下|帮我翻译|请翻译|^\W*翻译|用(英语|英文|中文|汉语|日语|法语|德语|西班牙语|韩语)(怎么|如何)说)"},
    // Maths: an expression with an operator, or a maths task.
    {"maths", R"(^(?!\s*\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\W*$)[\s\d.,()+\-*/×÷^=%x?]*\d\s*[+\-*/×÷^%]\s*\(?\d[\s\d.,()+\-*/×÷^=%x?]*$)"},
    {"maths",
     R"(\b(what is|what's|calculate|compute|evaluate|work out)\s+-?\(?\d[\d.,]*\)?\s*([+\-*/×÷^]|times|plus|minus|divided by|to the power of)\s*\(?-?\d|\b(solve|simplify|factori[sz]e|differentiate|integrate)\b.{0,30}[=^x\d]|\bexpand\s*\(|\b(derivative|integral|antiderivative) of\b|\bprove that\b|\bsquare root of \d|\b\d+(\.\d+)?\s*% of \d)"},
    // Digits around + * × ÷ ^ (not - or /: dates are written with those).
    {"maths",
     R"(\d\s*(倍|加上|减去|乘以|除以)|(倍|加上?|减去?|乘以?|除以?)\s*\d|方程|不等式|鸡兔同笼|求.{0,12}(的值|的解|面积|周长|体积|概率|导数|极限)|\d.{0,20}(的面积|的周长|的体积|的概率)(是多少|为多少|等于)|[xyn]\s*[=＝]\s*\d)"},
    {"maths", R"((请|帮我)?计算(一下)?\s*[\d(（]|计算.{0,8}(等于|的结果|的值)|求解|解方程|解这个方程|等于(多少|几)|化简|求导|求.{0,10}的导数|(不定|定)积分|求积分|(请|试)证明|平方根|\d\s*[+*×÷^]\s*\d|(?<!\d)\d{1,3}\s+[-/]\s+\d{1,3}(?!\d))"},
    // Writing: creative writing and rewriting the user's own text.
    {"writing",
     R"(\b(write|compose|draft|create|make up|tell me|give me)\b.{0,30}\b(haiku|poem|sonnet|limerick|story|short story|tale|joke|song|lyrics|essay|cover letter|letter|email|e-mail|speech|toast|slogan|tweet|caption|riddle|rap|ode|verse)s?\b)"},
    {"writing",
     R"(\b(rewrite|rephrase|paraphrase|proofread|reword|shorten|polish|edit|summari[sz]e|correct the grammar( of)?|fix the grammar( of)?)\b.{0,20}\b(this|these|that|the following|below|above|my|it)\b)"},
    {"writing", R"(^[\s\p{P}]*(please\s+)?(write|compose|draft|imagine|pretend|roleplay|role-play|act as)\b)"},
    {"writing",
     R"((写|撰写|起草|编写|编|创作|讲)(一|个|首|篇|段|则|封|份)(个|首|篇|段|则|封|份)?.{0,10}(文章|作文|博客|文案|广告|简历|自我介绍|周报|报告|感谢信|道歉信|求职信|请假条|贺卡|祝福|短文|开场白|朋友圈|推文|剧本|台词|标语)|扩写|续写|仿写|换(个|一种)说法|(改|写)得更|改成(正式|口语|书面|简洁))"},
    {"writing",
     R"((写|编|创作|讲)(一|个|首|篇|段|则)(个|首|篇|段|则)?.{0,8}(诗|俳句|故事|笑话|歌词|小说|作文|情书|邮件|演讲稿|祝福语|口号|段子|对联)|(改写|重写|润色|缩写|精简|校对|总结|概括)(一下)?(这|以下|下面|上面|我的)|帮我(改写|润色|总结|概括|校对|修改))"},
    // Brainstorming: a request for ideas, names, tips or a list of options; the model
    // suggests, nothing is looked up. ("Name the members of…" is a question.)
    {"brainstorming",
     R"(^[\s\p{P}]*(please\s+)?((can|could|would) you\s+)?(please\s+)?(give|get|send|provide|offer|generate|suggest|recommend|make|create|write|draft|come up with|think (up|of)|brainstorm|help me (come up with|think of|find))\b.{0,40}\b(ideas?|suggestions?|ways|tips|options|names|titles|slogans|reasons|examples|activities|alternatives|bullet(ed)? (list|points)|pros and cons|checklist|to-?do list|packing list|plan)\b)"},
    {"brainstorming", R"(\b(brainstorm|come up with|think up)\b)"},
    {"brainstorming",
     R"(^[\s\p{P}]*(what|which) (are|would be|could be|might be) (some|a few|several|\d+|two|three|four|five|ten)\s+((good|great|creative|fun|interesting|unique|cool|easy|different|healthy|useful|simple|possible|practical|effective|cheap)\s+)?(ways|ideas|tips|things to do|activities|names for|reasons to|gift ideas|strategies|suggestions|options for)\b)"},
    {"brainstorming",
     R"(((给我|帮我|请|麻烦)\s*)?(列出|列举|想|推荐|提供|给出|出|起|取)\s*(几|一些|一份|一个|\d+|[两三四五六七八九十])\s*(个|条|种|份|句|款)?.{0,15}(建议|点子|想法|主意|名字|标题|口号|方案|创意|礼物|活动|理由|清单|计划)|头脑风暴|集思广益|(有什么|有哪些|给点|来点)(好的|有趣的|有创意的|不错的|实用的)?.{0,8}(建议|点子|主意|想法|创意))"},
    // Classification: sorting items the prompt lists into the prompt's own classes.
    {"classification",
     R"(^[\s\p{P}]*(please\s+)?(classify|categori[sz]e|sort|group|label|identify (which|whether|if)|tell me (which|whether|if) (each|these|of these|the following|those|one|ones|it|they)|tell me whether|separate|organi[sz]e)\b)"},
    {"classification", R"(\b(which|what) (one |ones )?(of|among) (these|the following|those)\b|\beach of (these|the following)\b)"},
    {"classification", R"([?:]\s*([^,?:.。]{1,40},\s*){2,}[^,?:.。]{1,40}[.?]?\s*$|\?\s*[^?,]{1,30}\s+or\s+[^?,]{1,30}[.?]?\s*$)"},
    {"classification", R"((把|将).{0,30}(分类|归类|分成|分为)|(判断|区分|指出|找出)(下列|以下|下面|这些)|(下列|以下|下面)(哪些|哪个|哪一?项)(是|属于|不属于|不是))"},
    // The assistant's own opinion or preferences: nothing to look up.
    {"opinion",
     R"(\b(your (favou?rite|opinion|thoughts|view|take)|what do you think|would you rather|if you (could|were|had)|do you (like|prefer|think|believe|enjoy))\b|你(最喜欢|喜欢|觉得|认为|怎么看)|你的(看法|观点|意见))"},
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
