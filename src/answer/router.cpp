#include "answer/router.h"
#include "common/strings.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <string>
#include <unordered_set>

#include "answer/direct_tasks.h"
#include "answer/fact_question.h"
#include "answer/icu_regex.h"
#include "answer/prompt_parts.h"
#include "answer/route_model.h"
#include "answer/terms.h"

namespace owlet::answer {

const char* to_string(Tier t) {
  switch (t) {
    case Tier::cache: return "cache";
    case Tier::none: return "none";
    case Tier::local: return "local";
    case Tier::web_light: return "web-light";
    case Tier::web_deep: return "web-deep";
  }
  return "local";
}

const char* to_string(Freshness f) {
  switch (f) {
    case Freshness::never: return "never";
    case Freshness::slow: return "slow";
    case Freshness::fast: return "fast";
  }
  return "never";
}

const char* to_string(WebMode m) {
  switch (m) {
    case WebMode::automatic: return "auto";
    case WebMode::always: return "always";
    case WebMode::never: return "never";
  }
  return "auto";
}

bool parse_web_mode(std::string_view s, WebMode* out) {
  if (s == "auto") return *out = WebMode::automatic, true;
  if (s == "always") return *out = WebMode::always, true;
  if (s == "never") return *out = WebMode::never, true;
  return false;
}

namespace {

// One cue lexicon entry. The freshness classes follow FreshQA's definitions:
// fast = the answer typically changes within a year, slow = over several years,
// never = settled facts. A `time_cue` is a word that by itself says "as of now"
// (it is reported by detect_time_signals); the other rules recognise kinds of
// facts whose answers drift (office holders, records, running counts...).
struct Rule {
  const char* pattern;  // ICU regex, case-insensitive
  Freshness freshness;
  const char* what;     // reason phrase
  bool time_cue;
};

// Latin patterns use \b; Chinese ones need no word boundaries.
const Rule kRules[] = {
    // --- Explicit time words: the question is about the present moment.
    {R"(\b(today|tonight|tomorrow|yesterday|right now|this (morning|afternoon|evening|week|weekend|month)|these days)\b)",
     Freshness::fast, "time cue", true},
    {R"(今天|今日|今晚|明天|昨天|昨晚|本周|这周|这个星期|本月|这个月|刚刚|实时|此刻)", Freshness::fast, "time cue", true},
    {R"(\b(current|currently|now|nowadays|at present|presently|as of|latest|most recent|newest|up[- ]to[- ]date|this year|so far|to date|until now)\b)",
     Freshness::slow, "time cue", true},
    {R"(现在|目前|当前|如今|最新|最近|今年|现任|至今|迄今|到目前为止|眼下)", Freshness::slow, "time cue", true},

    // --- Fast-changing kinds of facts: markets, weather, live results, news.
    {R"(\b(prices?|costs? of|stocks?|share price|exchange rate|bitcoin|market cap(italization)?|interest rates?|inflation rate)\b)",
     Freshness::fast, "price or market", true},
    {R"(价格|价钱|多少钱|股价|股票|汇率|行情|币价|利率|油价|房价)", Freshness::fast, "price or market", true},
    {R"(\b(weather|temperature|forecast|rain(ing)?|snow(ing)?|humidity|air quality)\b)", Freshness::fast,
     "weather", true},
    {R"(天气|气温|温度|预报|下雨|下雪|空气质量)", Freshness::fast, "weather", true},
    {R"(\b(score|scores|scoreline|standings)\b)", Freshness::fast, "live result", true},
    {R"(比分|比赛结果|积分榜|直播)", Freshness::fast, "live result", true},
    {R"(\b(news|headlines?|breaking|trending)\b)", Freshness::fast, "news", true},
    {R"(新闻|头条|热搜|快讯)", Freshness::fast, "news", true},
    {R"(\bwhat (day|date|month|year|time) is it\b|\bwhat('s| is) the (date|time)\b)", Freshness::fast,
     "calendar or clock", true},
    {R"(几点|星期几|几月几号|几号)", Freshness::fast, "calendar or clock", true},
    // The next occurrence of a recurring event moves as soon as the event passes.
    {R"(\bwhen (is|will|does|'s)\b.{0,40}\bnext\b|\bnext (full moon|new moon|eclipse|holiday)\b)", Freshness::fast,
     "date of the next occurrence", false},
    {R"((下一次|下次|下一个|下个).{0,12}(什么时候|何时|哪天|几号))", Freshness::fast, "date of the next occurrence", false},
    // "Latest/most recent" instance of a yearly series (awards, seasons, finals,
    // yearly product lines) changes within a year.
    {R"(\b(latest|most recent|last|newest|this year'?s)\b.{0,40}\b(awards?|prizes?|oscars?|emmys?|grammys?|golden globes?|winners?|champions?|championships?|finals?|season|episode|tournament|iphones?|pixel|galaxy|models?)\b)",
     Freshness::fast, "latest of a yearly series", false},
    {R"((最新|最近|上一届|本届|今年).{0,8}(奖|冠军|赛季|决赛|锦标赛|型号|手机))", Freshness::fast, "latest of a yearly series",
     false},
    // Counts and rates that move daily.
    {R"(\b(followers|subscribers|views|downloads|active users|doses|vaccinations|cases|infections|death toll|death rate|infection rate|case count)\b)",
     Freshness::fast, "running statistic", false},
    {R"(\bpeople (are there |live |living )?(in|on) (the world|earth|the planet)\b|\bworld population\b)",
     Freshness::fast, "running statistic", false},
    {R"(粉丝|订阅|播放量|下载量|确诊|病例|死亡人数|死亡率|感染|疫苗接种|世界人口|全球人口)", Freshness::fast,
     "running statistic", false},

    // --- Slow-changing kinds of facts.
    // Office holders: who holds a post now.
    {R"(\bwho('s| is| are)\b.{0,40}\b(president|prime minister|premier|chancellor|ceo|chief executive|chair(man|woman|person)?|king|queen|monarch|pope|mayor|governor|senator|speaker|secretary|minister|director|head coach|coach|manager|captain|hosts?|owner|leader|head of|ambassador|spokes(person|man|woman)|editor|conductor)\b)",
     Freshness::slow, "office holder", false},
    {R"((谁是|是谁|哪位).{0,12}(总统|总理|首相|主席|首席执行官|CEO|市长|州长|教练|主持人|老板|领导人|国王|女王|教皇|部长|董事长|主帅|队长)|(总统|总理|首相|主席|首席执行官|CEO|市长|州长|教练|主持人|老板|领导人|国王|女王|教皇|部长|董事长|主帅|队长).{0,6}(是谁|谁))",
     Freshness::slow, "office holder", false},
    // Team membership.
    {R"(\b(plays?|playing) for\b|\bwhich (club|team)\b|\bsigned (with|by)\b|\bcoach(es)? of\b)", Freshness::slow,
     "team membership", false},
    {R"(效力|加盟|哪个(俱乐部|球队)|哪支球队)", Freshness::slow, "team membership", false},
    // Records: "most ... ever", "record for", rankings.
    {R"(\b(records?|all[- ]time|ever|of all time|in history|on record|rank(ed|ing)?|number one|top \d+)\b|\b(has|have|with) the (most|highest|largest|fewest)\b|\bmost[- ](liked|followed|viewed|popular|streamed|watched|subscribed|visited|expensive|valuable|downloaded|decorated|capped|successful)\b)",
     Freshness::slow, "record or ranking", false},
    {R"(纪录|记录|史上|有史以来|历史上|排名|第一名|最受欢迎|最多)", Freshness::slow, "record or ranking", false},
    // A sole holder ("the only woman to...") stops being the only one once another follows.
    {R"(\bthe only\b.{0,30}\b(recipient|winner|laureate|person|woman|man|player|team|country|company|athlete)\b)",
     Freshness::slow, "sole holder", false},
    {R"(唯一(一位|一个|的)?.{0,8}(得主|获得者|获奖者|女性|男性|球员|国家|公司))", Freshness::slow, "sole holder", false},
    // Relationships of living people.
    {R"(\b(who|is|are)\b.{0,60}\b(married to|dating|engaged to)\b|\bwho('s| is)\b.{0,30}\b(wife|husband|spouse|partner|girlfriend|boyfriend)\b)",
     Freshness::slow, "relationship status", false},
    {R"((嫁给|娶了|妻子|丈夫|配偶|女朋友|男朋友|结婚).{0,6}(谁|是谁)|(谁).{0,6}(结婚|约会))", Freshness::slow, "relationship status",
     false},
    // Superlatives in the present tense about made or contested things; the
    // natural-world exceptions are below (kNatural).
    {R"(\b(is|are|'s)\b.{0,30}\b(largest|biggest|tallest|fastest|richest|highest|longest|deepest|smallest|heaviest|hottest|coldest|oldest|youngest|busiest|most powerful|most popul(ous|ated)|best[- ]selling|highest[- ]grossing|strongest)\b)",
     Freshness::slow, "present superlative", false},
    {R"(最(大|高|长|快|富|贵|强|新|老|年长|年轻|畅销|繁忙))", Freshness::slow, "present superlative", false},
    // Ages of living people.
    {R"(\bhow old (is|are)\b|\bage of\b)", Freshness::slow, "age", false},
    {R"(几岁|多大年纪|多少岁|年龄)", Freshness::slow, "age", false},
    // Running totals of careers and collections.
    {R"(\bhow many\b.{0,60}\b(has|have)\b.{0,40}\b(won|scored|released|made|sold|written|published|appeared|played|recorded|earned|received|visited|launched|been)\b|\b(has|have|is|are)\b.{0,60}\bsince\b)",
     Freshness::slow, "running total", false},
    // Wins and awards accumulate while their holders live.
    {R"(\b(win|won|wins|winning)\b.{0,40}\b(awards?|prizes?|oscars?|emmys?|grammys?|golden globes?|medals?|titles?|cups?|championships?|trophy|trophies|nobel|elections?)\b|\b(last|latest) (time|won|win)\b|\bwhen did\b.{0,40}\blast\b)",
     Freshness::slow, "awards and wins", false},
    {R"(冠军|获奖|夺冠|赢得|获得.{0,8}奖|金牌|当选)", Freshness::slow, "awards and wins", false},
    // Laws, policies, rates set by authorities.
    {R"(\b(minimum wage|tax rate|legal|illegal|legali[sz]ed|banned|bans?|visas?|polic(y|ies)|regulations?)\b)",
     Freshness::slow, "law or policy", false},
    {R"(法律|合法|非法|最低工资|税率|签证|政策|规定|禁止)", Freshness::slow, "law or policy", false},
    // Versions, releases, populations, future events.
    {R"(\b(version|population)\b|^\s*will\b|\b(upcoming|next)\b)", Freshness::slow, "changes over years", false},
    {R"(版本|人口|下一届|下届|即将|将会)", Freshness::slow, "changes over years", false},
};

// Natural-world superlatives ("the brightest star", "the longest river") are
// settled facts even in the present tense.
const char* const kNatural =
    R"(\b(stars?|planets?|moons?|mountains?|peaks?|rivers?|lakes?|oceans?|seas?|deserts?|islands?|continents?|volcano(es)?|animals?|mammals?|birds?|fish|trees?|bones?|organs?|elements?|galax(y|ies)|waterfalls?|canyons?|glaciers?|caves?)\b|恒星|行星|卫星|山峰|高山|河流|湖泊|海洋|大洋|沙漠|岛屿|大陆|火山|动物|鸟类|鱼类|骨头|器官|元素|瀑布|星系|的(山|河|湖|海|星))";

// Words that tie a question to the present even when it names an old date
// ("since 2020", "between 2009 and now").
const char* const kPresentAnchor =
    R"(\b(now|current|currently|today|latest|most recent|so far|to date|still|until now)\b|\b(has|have|is|are)\b.{0,60}\bsince\b|现在|目前|至今|迄今|以来)";

// Firsts are settled once they happen ("the first woman to reach...").
const char* const kFirst = R"(\b(was|were) the first\b|\bthe first (\w+ ){0,3}(to|ever)\b|第一(个|位|次|名)?.{0,10}的(人|女性|男性|城市|国家))";

// Historical anchors without a year.
const char* const kHistoric =
    R"(\b(\d{1,2}(st|nd|rd|th) century|\d{3,4}s|BC|BCE|ancient|medieval|world war (i|ii|1|2|one|two))\b|世纪|公元前|古代|朝代|二战|一战)";

const IcuRegex& regex_for(size_t i) {
  static const std::vector<std::unique_ptr<IcuRegex>> compiled = [] {
    std::vector<std::unique_ptr<IcuRegex>> v;
    for (const Rule& r : kRules) v.push_back(std::make_unique<IcuRegex>(r.pattern));
    return v;
  }();
  return *compiled[i];
}

const IcuRegex& natural_regex() {
  static const IcuRegex re(kNatural);
  return re;
}

// --- Dates.

// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

int64_t year_of_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned m = mp + (mp < 10 ? 3 : -9);
  return static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
}

int month_number(std::string_view name) {
  static const char* const kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                        "jul", "aug", "sep", "oct", "nov", "dec"};
  if (name.size() < 3) return 0;
  for (int i = 0; i < 12; ++i) {
    if (iequals(name.substr(0, 3), kMonths[i])) return i + 1;
  }
  return 0;
}

struct FoundDate {
  std::string text;
  int64_t days = 0;   // days since epoch (mid-period for a month or a year)
  bool year_only = false;
};

const char* const kMonthRe =
    "(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
    "oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)";

std::vector<FoundDate> find_dates(std::string_view q) {
  static const IcuRegex iso(R"(\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b)");
  static const IcuRegex mdy(std::string(R"(\b)") + kMonthRe + R"(\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b)");
  static const IcuRegex dmy(std::string(R"(\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?)") + kMonthRe + R"(,?\s+(\d{4})\b)");
  static const IcuRegex my(std::string(R"(\b)") + kMonthRe + R"(\s+(\d{4})\b)");
  static const IcuRegex zh(R"((\d{4})\s*年\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*[日号])?)");
  static const IcuRegex year(R"((?<![\d.])(1[5-9]\d\d|20\d\d|2100)(?![\d.])(?!\s*年\s*\d))");
  std::vector<FoundDate> out;
  auto add = [&](const std::string& text, int64_t y, int m, int d, bool year_only) {
    if (m < 1 || m > 12 || d < 1 || d > 31) return;
    out.push_back({text, days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d)), year_only});
  };
  for (const auto& g : iso.find_all(q)) add(g[0], std::atoi(g[1].c_str()), std::atoi(g[2].c_str()), std::atoi(g[3].c_str()), false);
  for (const auto& g : mdy.find_all(q)) add(g[0], std::atoi(g[3].c_str()), month_number(g[1]), std::atoi(g[2].c_str()), false);
  for (const auto& g : dmy.find_all(q)) add(g[0], std::atoi(g[3].c_str()), month_number(g[2]), std::atoi(g[1].c_str()), false);
  for (const auto& g : zh.find_all(q)) {
    add(g[0], std::atoi(g[1].c_str()), std::atoi(g[2].c_str()), g[3].empty() ? 15 : std::atoi(g[3].c_str()), false);
  }
  if (out.empty()) {
    for (const auto& g : my.find_all(q)) add(g[0], std::atoi(g[2].c_str()), month_number(g[1]), 15, false);
  }
  if (out.empty()) {
    for (const auto& g : year.find_all(q)) add(g[0], std::atoi(g[1].c_str()), 7, 1, true);
  }
  return out;
}

struct DateSignals {
  std::vector<std::string> near;  // dates within recent_days of now (or this/next year)
  std::string past;               // a date well before now, anchoring the answer in history
  std::string future;             // a date well after now
};

DateSignals date_signals(std::string_view q, int64_t now, const RouterOptions& options) {
  DateSignals s;
  const int64_t today = now / 86400;
  const int64_t this_year = year_of_days(today);
  for (const FoundDate& d : find_dates(q)) {
    if (d.year_only) {
      const int64_t y = year_of_days(d.days);
      if (y == this_year) {
        s.near.push_back(d.text);
      } else if (y < this_year) {
        if (s.past.empty()) s.past = d.text;
      } else if (s.future.empty()) {
        s.future = d.text;
      }
      continue;
    }
    const int64_t delta = d.days - today;
    if (std::llabs(delta) <= options.recent_days) {
      s.near.push_back(d.text);
    } else if (delta < 0) {
      if (s.past.empty()) s.past = d.text;
    } else if (s.future.empty()) {
      s.future = d.text;
    }
  }
  return s;
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }

Freshness max_of(Freshness a, Freshness b) { return static_cast<int>(a) >= static_cast<int>(b) ? a : b; }

}  // namespace

TimeSignals detect_time_signals(std::string_view question, int64_t now, const RouterOptions& options) {
  TimeSignals out;
  for (size_t i = 0; i < std::size(kRules); ++i) {
    if (!kRules[i].time_cue) continue;
    for (const auto& g : regex_for(i).find_all(question)) out.cues.push_back(g[0]);
  }
  for (const std::string& d : date_signals(question, now, options).near) out.cues.push_back(d);
  out.time_sensitive = !out.cues.empty();
  return out;
}

namespace {

// Explicit time words ("today", "latest", 今天, 最新) and dates near today: the cues
// that override the classifier. Kinds of facts (prices, weather, scores, news) are
// only features: "classify these as hot or cold: sun, snow" is not about today.
std::vector<std::string> explicit_time_cues(std::string_view question, int64_t now, const RouterOptions& options) {
  std::vector<std::string> out;
  for (size_t i = 0; i < std::size(kRules); ++i) {
    if (!kRules[i].time_cue || std::string_view(kRules[i].what) != "time cue") continue;
    for (const auto& g : regex_for(i).find_all(question)) out.push_back(g[0]);
  }
  for (const std::string& d : date_signals(question, now, options).near) out.push_back(d);
  return out;
}

}  // namespace

FreshnessExplanation explain_freshness(std::string_view question, int64_t now, const RouterOptions& options) {
  FreshnessExplanation out;
  Freshness level = Freshness::never;
  bool natural_superlative = false;
  for (size_t i = 0; i < std::size(kRules); ++i) {
    const Rule& r = kRules[i];
    std::string match;
    if (!regex_for(i).find(question, &match)) continue;
    if (std::string_view(r.what) == "present superlative" && natural_regex().find(question)) {
      natural_superlative = true;  // "the brightest star": settled
      continue;
    }
    level = max_of(level, r.freshness);
    out.reasons.push_back(std::string(to_string(r.freshness)) + ": " + r.what + " " + quoted(match));
  }
  if (natural_superlative && out.reasons.empty()) out.reasons.push_back("never: natural-world superlative");
  const DateSignals dates = date_signals(question, now, options);
  for (const std::string& d : dates.near) {
    level = max_of(level, Freshness::fast);
    out.reasons.push_back("fast: date near today " + quoted(d));
  }
  if (!dates.future.empty()) {
    level = max_of(level, Freshness::slow);
    out.reasons.push_back("slow: future date " + quoted(dates.future));
  }
  // A question pinned to the past ("in 1940", "the 19th century") has a settled
  // answer, whatever kind of fact it asks about, unless it also reaches up to now
  // ("since 2020").
  static const IcuRegex present(kPresentAnchor);
  static const IcuRegex historic(kHistoric);
  std::string past = dates.past;
  if (past.empty()) historic.find(question, &past);
  if (!past.empty() && dates.near.empty() && !present.find(question) && level != Freshness::never) {
    level = Freshness::never;
    out.reasons.push_back("never: anchored in the past " + quoted(past));
  }
  static const IcuRegex first(kFirst);
  std::string first_match;
  if (level != Freshness::never && dates.near.empty() && first.find(question, &first_match) && !present.find(question)) {
    level = Freshness::never;
    out.reasons.push_back("never: a first is settled " + quoted(first_match));
  }
  out.freshness = level;
  return out;
}

std::vector<std::string> cue_features(std::string_view question, int64_t now, const RouterOptions& options) {
  std::vector<std::string> out;
  auto add = [&](std::string f) {
    if (std::find(out.begin(), out.end(), f) == out.end()) out.push_back(std::move(f));
  };
  for (size_t i = 0; i < std::size(kRules); ++i) {
    if (regex_for(i).find(question)) add(std::string("r:") + to_string(kRules[i].freshness) + " " + kRules[i].what);
  }
  static const IcuRegex present(kPresentAnchor);
  static const IcuRegex historic(kHistoric);
  static const IcuRegex first(kFirst);
  if (natural_regex().find(question)) add("r:natural-world");
  if (present.find(question)) add("r:present anchor");
  if (first.find(question)) add("r:a first");
  if (historic.find(question)) add("r:historic");
  const DateSignals dates = date_signals(question, now, options);
  if (!dates.near.empty()) add("d:near");
  if (!dates.past.empty()) add("d:past");
  if (!dates.future.empty()) add("d:future");
  return out;
}

bool anchored_in_past(std::string_view question, int64_t now, const RouterOptions& options) {
  static const IcuRegex present(kPresentAnchor);
  static const IcuRegex historic(kHistoric);
  const DateSignals dates = date_signals(question, now, options);
  if (!dates.near.empty() || present.find(question)) return false;
  return !dates.past.empty() || historic.find(question);
}

Freshness classify_freshness(std::string_view question, int64_t now, const RouterOptions& options) {
  return explain_freshness(question, now, options).freshness;
}

double coverage(std::string_view question, std::string_view passage) {
  const std::vector<std::string> q = content_terms(question);
  if (q.empty()) return 0;
  const std::vector<std::string> p = content_terms(passage);
  const std::unordered_set<std::string> have(p.begin(), p.end());
  int hit = 0;
  for (const std::string& t : q) {
    // A lone CJK character (a one-character run) matches anywhere in the passage.
    if (have.count(t) || (t.size() <= 4 && static_cast<unsigned char>(t[0]) >= 0xE0 && passage.find(t) != std::string_view::npos)) ++hit;
  }
  return static_cast<double>(hit) / static_cast<double>(q.size());
}

namespace {

double logit(double p) {
  p = std::clamp(p, 1e-9, 1 - 1e-9);
  return std::log(p / (1 - p));
}

// "changing 0.83 >= 0.13: 'current' +1.90, rule slow office holder +1.21, 'president' +0.80"
std::string score_reason(const char* what, const HeadScore& s, double threshold) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s %.2f %s %.2f", what, s.probability, s.probability >= threshold ? ">=" : "<",
                threshold);
  std::string out = buf;
  for (size_t i = 0; i < s.top.size(); ++i) {
    std::snprintf(buf, sizeof buf, " %+.2f", s.top[i].weight);
    out += (i == 0 ? ": " : ", ") + describe_feature(s.top[i].feature) + buf;
  }
  return out;
}

bool near_threshold(double p, double threshold, double margin) { return std::fabs(logit(p) - logit(threshold)) < margin; }

std::string human_age(int64_t s) {
  char buf[32];
  if (s < 3600) std::snprintf(buf, sizeof buf, "%lld min", static_cast<long long>(s / 60));
  else if (s < 2 * 86400) std::snprintf(buf, sizeof buf, "%lld h", static_cast<long long>(s / 3600));
  else std::snprintf(buf, sizeof buf, "%lld d", static_cast<long long>(s / 86400));
  return buf;
}

// Whether a prompt the classifier would answer alone still retrieves: a factual
// question's form, or `--local`. Adds the reason. (A question about the user's own
// things needs no rule here: every prompt that is not a direct task looks in the
// knowledge base, and route() answers from it when a note covers the question.)
bool keeps_retrieval(const FactQuestion& fq, const PromptParts& parts, FeatureView view, const HeadScore& retrieval,
                     double question_threshold, const RouterOptions& options, PromptClass* c) {
  // A question about text the user pasted is answered from that text.
  const bool own_text = parts.pasted();
  // Chinese has no learned view of its own worth a veto: its question forms decide.
  if (!own_text && (fq.form == QuestionForm::strong || (fq.asks() && view == FeatureView::concepts))) {
    c->reasons.push_back("asks for facts " + quoted(fq.match));
    return true;
  }
  if (!own_text && fq.form == QuestionForm::open && retrieval.probability >= question_threshold) {
    char buf[96];
    std::snprintf(buf, sizeof buf, " (retrieval %.2f >= %.2f, the question threshold)", retrieval.probability,
                  question_threshold);
    c->reasons.push_back("asks for facts " + quoted(fq.match) + buf);
    return true;
  }
  if (options.force_retrieval) {
    c->reasons.push_back("forced: knowledge base (--local)");
    return true;
  }
  return false;
}

}  // namespace

PromptClass classify_prompt(std::string_view prompt, int64_t now, const RouterOptions& options) {
  PromptClass c;
  const PromptParts parts = split_prompt(prompt);
  const DirectTask task = detect_direct_task(parts);
  if (task.matched() && !options.force_retrieval) {
    c.retrieval = false;
    c.direct_task = task.kind;
    c.reasons.push_back("no retrieval: " + task.kind + " " + quoted(task.match));
    return c;
  }
  if (parts.ask.find_first_not_of(" ") == std::string::npos && !options.force_retrieval) {
    c.retrieval = false;
    c.reasons.push_back("no retrieval: the prompt is pasted material with no question of its own");
    return c;
  }
  // Cues are read in the user's own words, never in what they pasted.
  const std::string& ask = parts.ask;
  const FactQuestion fq = detect_fact_question(parts);
  c.question = fq.form;
  c.question_match = fq.match;
  c.personal = fq.personal;
  c.personal_match = fq.personal_match;
  if (!options.use_classifier) {
    const TimeSignals time = detect_time_signals(ask, now, options);
    const FreshnessExplanation rules = explain_freshness(ask, now, options);
    c.freshness = rules.freshness;
    c.time_sensitive = time.time_sensitive;
    c.reasons = rules.reasons;
    for (const std::string& cue : time.cues) c.reasons.push_back("time cue " + quoted(cue));
    return c;
  }
  const RouteModel& model = options.model ? *options.model : RouteModel::builtin();
  const FeatureView view = options.view >= 0 ? static_cast<FeatureView>(options.view) : view_for(prompt);
  const std::vector<std::string> features = route_features(prompt, parts, now, view, options);
  const HeadScore changing = model.score(view, RouteHead::changing, features);
  const HeadScore fast = model.score(view, RouteHead::fast, features);
  const HeadScore retrieval = model.score(view, RouteHead::retrieval, features);
  const double tc = model.threshold(view, RouteHead::changing), tf = model.threshold(view, RouteHead::fast),
               tr = model.threshold(view, RouteHead::retrieval);
  c.p_changing = changing.probability;
  c.p_fast = fast.probability;
  c.p_retrieval = retrieval.probability;
  c.decided_by = "classifier";
  const Freshness learned_class = fast.probability >= tf ? Freshness::fast : Freshness::slow;
  const std::vector<std::string> cues = explicit_time_cues(ask, now, options);
  const bool explicit_cue = !cues.empty() && !anchored_in_past(ask, now, options);
  // Text the user supplied and a question about it ("Based on this article, who is
  // the current CEO?"): the cue is about their text, not about today.
  const bool about_supplied_text = parts.pasted() && retrieval.probability < tr;
  if (explicit_cue && !about_supplied_text) {
    // An explicit cue overrides the classifier's "settled"; the class is the faster
    // of what the cue rules (already among the features) and the fast head say.
    const bool fast_rule = std::any_of(features.begin(), features.end(), [](const std::string& f) {
      return f.rfind("r:fast ", 0) == 0 || f == "d:near";
    });
    c.decided_by = "rule";
    c.freshness = fast_rule ? Freshness::fast : learned_class;
    for (const std::string& cue : cues) c.reasons.push_back("time cue " + quoted(cue));
    c.reasons.push_back(score_reason("fast", fast, tf));
  } else if (changing.probability >= tc) {
    c.freshness = learned_class;
    c.reasons.push_back(score_reason("changing", changing, tc));
    c.reasons.push_back(score_reason("fast", fast, tf));
    c.uncertain = near_threshold(changing.probability, tc, options.uncertain_margin);
  } else if (retrieval.probability < tr &&
             !keeps_retrieval(fq, parts, view, retrieval, model.question_threshold(view), options, &c)) {
    c.retrieval = false;
    c.reasons.push_back("no retrieval: " + score_reason("retrieval", retrieval, tr));
    c.uncertain = near_threshold(retrieval.probability, tr, options.uncertain_margin) ||
                  near_threshold(changing.probability, tc, options.uncertain_margin);
  } else {
    c.reasons.push_back("settled: " + score_reason("changing", changing, tc));
    c.uncertain = near_threshold(changing.probability, tc, options.uncertain_margin);
  }
  if (c.freshness != Freshness::never) c.reasons.push_back(std::string(to_string(c.freshness)) + "-changing answer");
  c.time_sensitive = c.freshness == Freshness::fast || (explicit_cue && c.freshness != Freshness::never);
  return c;
}

namespace {

RouteDecision decide_tier(const PromptClass& prompt, const LocalEvidence& local, WebMode web, int64_t now,
                          const RouterOptions& options) {
  RouteDecision d;
  d.prompt = prompt;
  d.coverage = local.coverage;
  d.freshness = prompt.freshness;
  d.time_sensitive = prompt.time_sensitive;
  d.reasons = prompt.reasons;
  // Online questions: fast-changing facts live in search snippets (a price, a
  // score), everything else needs the pages themselves.
  const Tier online = d.freshness == Freshness::fast ? Tier::web_light : Tier::web_deep;
  if (web == WebMode::always) {
    d.tier = online;
    d.reasons.push_back("forced: web=always");
    return d;
  }
  char cov[96];
  bool covered = local.coverage >= options.coverage_threshold;
  std::snprintf(cov, sizeof cov, "local coverage %.2f %s %.2f", local.coverage, covered ? ">=" : "<",
                options.coverage_threshold);
  const bool locally_answered = local.coverage >= options.local_answer_threshold;
  if (!prompt.retrieval) {
    // A direct task's "none" is final; the classifier's yields to the user's own
    // knowledge base when a source there covers the prompt (searched: milliseconds).
    if (prompt.decided_by != "rule" && locally_answered) {
      std::snprintf(cov, sizeof cov, "local coverage %.2f >= %.2f", local.coverage, options.local_answer_threshold);
      d.tier = Tier::local;
      d.reasons.push_back(std::string(cov) + ": the knowledge base covers it");
      return d;
    }
    d.tier = Tier::none;
    return d;
  }
  // The user's own things: their notes answer, when a note covers the question.
  if (prompt.personal && locally_answered && !covered) {
    covered = true;
    std::snprintf(cov, sizeof cov, "local coverage %.2f >= %.2f (your own things)", local.coverage,
                  options.local_answer_threshold);
  }
  d.reasons.push_back(cov);
  // Coverage with age: a stored copy of a drifting fact covers it only while it is
  // younger than its class's TTL (a source of unknown age covers settled facts only).
  const int64_t max_age = options.max_source_age_s[static_cast<int>(d.freshness)];
  if (covered && max_age > 0) {
    const std::string cls = std::string(to_string(d.freshness)) + "-changing answer";
    if (local.fetched_at <= 0) {
      covered = false;
      d.reasons.push_back("local source of unknown age is not coverage for a " + cls);
    } else if (now - local.fetched_at > max_age) {
      covered = false;
      d.reasons.push_back("local source fetched " + human_age(now - local.fetched_at) + " ago is older than the " +
                          human_age(max_age) + " TTL of a " + cls + ": not coverage");
    } else {
      d.reasons.push_back("local source fetched " + human_age(now - local.fetched_at) + " ago is within the " +
                          human_age(max_age) + " TTL of a " + cls);
    }
  }
  if (web == WebMode::never) {
    d.tier = Tier::local;
    d.reasons.push_back("forced: web=never");
    return d;
  }
  d.tier = covered ? Tier::local : online;
  return d;
}

std::string direct_task_words(const std::string& kind) {
  if (kind == "greeting") return "small talk";
  if (kind == "translation") return "a translation";
  if (kind == "brainstorming") return "brainstorming";
  if (kind == "classification") return "sorting the items you listed";
  if (kind == "opinion") return "asks for the assistant's own view";
  if (kind == "supplied text") return "work on the text you supplied";
  return "a " + kind + " task";  // code, maths, writing
}

// Why, in a user's words: what the prompt is, then where the answer comes from.
std::string summarize(const RouteDecision& d, WebMode web) {
  const PromptClass& p = d.prompt;
  std::string what;
  if (!p.direct_task.empty()) what = direct_task_words(p.direct_task);
  else if (p.personal) what = "about your own things " + quoted(p.personal_match);
  else if (d.time_sensitive || (p.retrieval && d.freshness != Freshness::never))
    what = "asks for facts that may have changed (" + std::string(to_string(d.freshness)) + "-changing)";
  else if (p.question != QuestionForm::none && p.retrieval) what = "asks for facts " + quoted(p.question_match);
  else if (p.retrieval) what = "asks for facts";
  else what = "needs no outside facts";
  std::string where;
  switch (d.tier) {
    case Tier::none: where = p.direct_task.empty() ? "the model alone: nothing in the knowledge base covers it"
                                                    : "the model alone, no search";
      break;
    case Tier::local: where = web == WebMode::never ? "knowledge base only (web off)" : "knowledge base: a local source covers it";
      break;
    case Tier::web_light:
    case Tier::web_deep:
      where = web == WebMode::always ? "web (web=always)" : "knowledge base, then web: no local source covers it";
      if (web != WebMode::always && d.coverage > 0 && d.freshness != Freshness::never)
        where = "knowledge base, then web: the answer may have changed since the local source";
      break;
    case Tier::cache: where = "the answer cache"; break;
  }
  return what + " → " + where;
}

}  // namespace

RouteDecision route(const PromptClass& prompt, const LocalEvidence& local, WebMode web, int64_t now,
                    const RouterOptions& options) {
  RouteDecision d = decide_tier(prompt, local, web, now, options);
  d.summary = summarize(d, web);
  return d;
}

RouteDecision route(std::string_view question, double local_coverage, WebMode web, int64_t now,
                    const RouterOptions& options) {
  return route(classify_prompt(question, now, options), LocalEvidence{local_coverage, 0}, web, now, options);
}

}  // namespace owlet::answer
