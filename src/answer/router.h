// The router: which tier should answer a question, and why.
//
// Signals, all explainable: time-sensitivity cues (English and Chinese), a
// predicted freshness class, and local coverage (how well the knowledge base's
// best match covers the question, 0..1). The caller supplies coverage; the
// router never touches the knowledge base or the network itself.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace owlet::answer {

enum class Tier { cache, local, web_light, web_deep };
enum class Freshness { never, slow, fast };
enum class WebMode { automatic, always, never };

const char* to_string(Tier t);       // "cache", "local", "web-light", "web-deep"
const char* to_string(Freshness f);  // "never", "slow", "fast"
const char* to_string(WebMode m);    // "auto", "always", "never"
bool parse_web_mode(std::string_view s, WebMode* out);  // "auto" | "always" | "never"

struct RouterOptions {
  double coverage_threshold = 0.7;  // below this the router goes online
  int recent_days = 60;             // a date within this many days of today is a time cue
};

struct TimeSignals {
  bool time_sensitive = false;
  std::vector<std::string> cues;  // the words/dates that made it so, as found in the question
};

// Time-sensitivity cues: today, now, latest, current, this week, price, weather,
// score, news, a date near `now`; 今天, 现在, 最新, 目前, 本周, 价格, 天气, 比分, 新闻, 股价...
TimeSignals detect_time_signals(std::string_view question, int64_t now, const RouterOptions& options = {});

// Predicted freshness class of the question's answer: never-changing (facts,
// definitions, history), slow-changing (records, office holders, latest versions),
// fast-changing (prices, scores, weather, news).
Freshness classify_freshness(std::string_view question, int64_t now, const RouterOptions& options = {});

// classify_freshness with its evidence: each rule that fired, as a short English
// phrase naming the rule and the words that matched (e.g. "office holder 'who is the CEO'").
struct FreshnessExplanation {
  Freshness freshness = Freshness::never;
  std::vector<std::string> reasons;
};
FreshnessExplanation explain_freshness(std::string_view question, int64_t now, const RouterOptions& options = {});

// Coverage of the question by a candidate passage, 0..1: the IDF-free share of the
// question's content terms (Latin words minus stop words, CJK bigrams) that the
// passage contains. The pipeline passes the best local hit(s).
double coverage(std::string_view question, std::string_view passage);

struct RouteDecision {
  Tier tier = Tier::local;
  Freshness freshness = Freshness::never;
  bool time_sensitive = false;
  double coverage = 0;
  std::vector<std::string> reasons;  // short English phrases, e.g. "time cue 'latest'",
                                     // "local coverage 0.42 < 0.70", "forced: web=always"
  bool needs_web() const { return tier == Tier::web_light || tier == Tier::web_deep; }
};

// Decision for a question that missed the answer cache. web=never keeps it local,
// web=always goes online. Online questions go web-light when the answer lives in
// snippets (fast-changing facts: prices, scores, weather), web-deep otherwise.
RouteDecision route(std::string_view question, double local_coverage, WebMode web, int64_t now,
                    const RouterOptions& options = {});

}  // namespace owlet::answer
