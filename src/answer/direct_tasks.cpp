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
  R"(thx|cheers|bye|goodbye|see you( later)?|how are you( doing)?( today)?|how's it going|how('s| is) your (day|morning|evening|week)( going)?|what's up|)"          \
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
    {"classification", R"((把|将).{0,30}(分类|归类|分成|分为)|(判断|区分|指出|找出)(下列|以下|下面|这些)|(下列|以下|下面)(哪些|哪个|哪一?项)\p{Han}{0,2}(是|属于|不属于|不是))"},
    // The assistant's own opinion or preferences: nothing to look up.
    {"opinion",
     R"(\b(your (favou?rite|opinion|thoughts|view|take)|what do you think|would you rather|if you (could|were|had)|do you (like|prefer|think|believe|enjoy))\b|你(最喜欢|喜欢|觉得|认为|怎么看)|你的(看法|观点|意见))"},
    // Chinese work on the user's own words: rewrite, shorten, check, make sentences.
    {"writing",
     R"((把|将)(这|下面|以下|上面)?(个|句|段|篇)?(话|句子|句|文字|内容|文章|段落).{0,8}(改成|改为|变成|换成|改写|重写|缩写|扩写|压缩|精简)|重新(表达|表述|组织)|换(个|一种)方式(说|表达)|(缩写|压缩|精简)(到|为|成)|造句|检查.{0,10}(语法|错别字|病句|拼写)|(修改|纠正|改正).{0,6}(语法|错误|病句|错别字)|用一句话(总结|概括)|(总结|概括|归纳|提炼)(一下)?.{0,10}[：:]|(主旨|中心思想|大意|要点)是什么\s*[？?]?\s*[：:“"「])"},
    {"translation",
     R"([“"「'][A-Za-z][^”"」']{1,60}[”"」']\s*(是什么意思|什么意思|怎么理解|怎么翻译)|用(中文|英文|英语|汉语|日语|日文|法语|德语|韩语)怎么(翻译|说|表达)|怎么翻译|(这|下面|以下)(句|段)?(英文|英语|中文|日文|日语|法语|德语|话|句子)是什么意思)"},
    {"code",
     R"((python|java|javascript|typescript|c\+\+|c#|golang|rust|sql|shell|bash|php|ruby|swift|kotlin|excel)\s*(中|里|里面)\s*(如何|怎么|怎样))"},
    {"maths",
     R"(\d[^\d]{0,30}\d.{0,30}(还剩|一共|总共|相距|平均|的和|的差|的积|的商|之和|之差).{0,10}(多少|几)|\d+\s*到\s*\d+\s*的和|从小到大排(序|列)|从大到小排(序|列))"},
    {"brainstorming",
     R"((给我|来|提供|说)(一些|几个|几条|几点|\d+个).{0,15}(建议|点子|想法|主意|名字|创意|方法)|有(什么|哪些).{0,12}(好方法|好办法|技巧|窍门|好建议|好点子)|推荐(几|一些|\d+)(个|本|部|首|款|道|种|家|部)|想(一|几)(个|句|条)|帮我(制定|安排|规划|设计|列)(一个|一份|个)?.{0,12}(计划|行程|清单|日程|方案|菜单|主题))"},
    {"greeting", R"(心情(不好|不太好|很差|很好|不错)|我(好|很|有点)(累|难过|开心|无聊|烦|伤心)|陪我聊聊)"},
    {"opinion", R"(如果你(是|能|可以|有))"},
    // Work on text the prompt carries and points at ("这段话…：…", "the following
    // sentence: …"): the question is about that text, not about the world.
    {"supplied text",
     R"(((这|下面|以下|下列|上面|如下|这个|这封|这首|这篇|这段|这句)(个|句|段|篇|封|首)?(话|句子|文字|内容|文章|段落|邮件|诗|报错|错误|代码|文本|短文|对话|新闻|评论)|\b(this|the following|the above|below|these|my) (sentence|sentences|text|paragraph|passage|email|letter|poem|essay|review|tweet|message|paragraphs|words|phrase|lyrics|story)\b).{0,40}([：:]\s*\S.{3,}|[“"「『].{4,})|^(?!\s*(q|question|quick question|问题|请问|提问)\s*[：:])[^：:]{2,30}[：:]\s*[“"「『]?.{4,}[”"」』]?\s*$(?<=[。.!！”"」』]))"},
    {"greeting", R"(在干嘛|在干什么|在忙什么|你在吗)"},
    {"maths", R"(打[一二三四五六七八九\d](\.\d)?折|原价|\d+(\.\d+)?\s*%.{0,20}(多少|几)|次方|平方(是|等于)|开(平)?方)"},
    {"code", R"(\b(python|javascript|typescript|java|c\+\+|rust|golang|bash|sql|regex|css|html) (code|loop|script|function|program|query|class|error|exception)\b)"},
    {"maths", R"(\bif\b[^?]{0,80}\d[^?]{0,80}\d[^?]{0,60}\b(what|how many|how much|how long|how far|how fast)\b)"},
    {"maths",
     R"(\d+(\.\d+)?\s*(厘米|米|公里|千米|毫米|克|千克|公斤|元|块|小时|分钟|秒|个|人|岁|km|cm|m|kg)[^？?\d]{0,30}\d+(\.\d+)?\s*(厘米|米|公里|千米|毫米|克|千克|公斤|元|块|小时|分钟|秒|个|人|岁|km|cm|m|kg)[^？?]{0,40}(多少|几|求)|\$\s?\d[^?]{0,80}\d+(\.\d+)?\s*%|\d+(\.\d+)?\s*%[^?]{0,80}\$\s?\d|\d[^?]{0,80}\b(how much|how many)\b[^?]{0,30}\b(each|per|in total|altogether|left|remain|in all)\b|\bhow many (ways|combinations|permutations)\b)"},
    {"code", R"(\b(throws?|raises?|gives?|prints?|returns?) (me )?(an? )?(error|exception|syntax error|type error|typeerror|segfault|stack trace|null pointer)\b|\b(this|my) (code|snippet|script|function|query|regex)\b)"},
    {"writing", R"(^[\s\p{P}]*(please\s+)?((can|could|would) you\s+)?(please\s+)?(make|turn|rewrite|change|convert|reword|rephrase) (this|it|the following)\b.{0,40}[:：]\s*\S.{3,})"},
    {"supplied text",
     R"(\b(this|the following|the above|these) (argument|statement|claim|reasoning|joke|plan|list|passage|paragraph|sentence|text|email|poem|story|review)s?\b.{0,40}[?？]\s*\S.{8,})"},
    {"brainstorming", R"(有(什么|哪些).{0,20}可以(做|玩|写|送|买|去|吃|选|看|聊|用))"},
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
