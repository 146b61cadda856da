// The router: which tier should answer a question, and why.
//
// Two decisions, both explainable:
//  1. Does the prompt ask for facts from outside itself? Small talk, writing, code,
//     maths, translation, brainstorming and work on text the user supplied do not:
//     tier `none`, the model answers directly (rules in direct_tasks.h). A prompt in
//     the form of a factual question (fact_question.h: who, when, why, 谁, 为什么, 吗…)
//     does, whatever the classifier says; an open form ("what are…", "how do I…")
//     yields to the learned retrieval head only when it is very sure; everything else
//     is the head's call. When in doubt, retrieve. A question about the user's own
//     things ("my bicycle", 我的…) always looks in the knowledge base.
//  2. How fast does the answer go stale (never / slow / fast)? A learned classifier
//     (route_model.h) with the cue lexicons below as its features and, for explicit
//     cues (今天, 最新, "this week", a date near today), as overrides.
// Then local coverage decides between the knowledge base and the web: a local source
// covers a question only when it matches it (coverage, 0..1) and is young enough for
// the answer's class. The caller supplies coverage and age; the router never touches
// the knowledge base or the network itself.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "answer/fact_question.h"

namespace owlet::answer {

class RouteModel;

enum class Tier { cache, none, local, web_light, web_deep };
enum class Freshness { never, slow, fast };
enum class WebMode { automatic, always, never };

const char* to_string(Tier t);       // "cache", "none", "local", "web-light", "web-deep"
const char* to_string(Freshness f);  // "never", "slow", "fast"
const char* to_string(WebMode m);    // "auto", "always", "never"
bool parse_web_mode(std::string_view s, WebMode* out);  // "auto" | "always" | "never"

struct RouterOptions {
  double coverage_threshold = 0.7;  // below this the router goes online
  // A prompt the classifier would answer alone (not a direct task) or a question about
  // the user's own things is answered from the knowledge base when a local source
  // covers this much of it.
  double local_answer_threshold = 0.5;
  bool force_retrieval = false;     // `owlet ask --local`: every prompt looks in the knowledge base
  int recent_days = 60;             // a date within this many days of today is a time cue
  // How old (seconds since fetch or ingest) a local source may be and still cover a
  // question, by the answer's class: never, slow, fast. 0 = any age. The pipeline
  // sets slow and fast to the answer-cache TTLs.
  std::array<int64_t, 3> max_source_age_s{0, 86400, 600};
  bool use_classifier = true;       // false: the cue rules alone (the router before the classifier)
  // Half-width, in logits, of the band around a threshold where the classifier is
  // "uncertain" (the model-assisted router refines those prompts).
  double uncertain_margin = 1.0;
  const RouteModel* model = nullptr;  // null = the built-in weights (RouteModel::builtin)
  int view = -1;                      // feature view: -1 = by the prompt's language, 0 words, 1 concepts
};

struct TimeSignals {
  bool time_sensitive = false;
  std::vector<std::string> cues;  // the words/dates that made it so, as found in the question
};

// Time-sensitivity cues: today, now, latest, current, this week, price, weather,
// score, news, a date near `now`; 今天, 现在, 最新, 目前, 本周, 价格, 天气, 比分, 新闻, 股价...
TimeSignals detect_time_signals(std::string_view question, int64_t now, const RouterOptions& options = {});

// The rules alone (no classifier): predicted freshness class of the question's answer: never-changing (facts,
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

// The rule lexicons as features of the learned router (route_model.h): "r:<class>
// <rule>" for each rule that fired ("r:slow office holder"), "r:natural-world",
// "r:present anchor", "r:a first", "r:historic", and "d:near" / "d:past" / "d:future"
// for dates relative to `now`. The same names for English and Chinese cues.
std::vector<std::string> cue_features(std::string_view question, int64_t now, const RouterOptions& options = {});

// A question pinned to the past ("in 1940", "the 19th century", "二战") with no
// word that reaches up to now ("since", "current", 至今) and no date near today.
bool anchored_in_past(std::string_view question, int64_t now, const RouterOptions& options = {});

// Coverage of the question by a candidate passage, 0..1: the IDF-free share of the
// question's content terms (Latin words minus stop words, CJK bigrams) that the
// passage contains. The pipeline passes the best local hit(s).
double coverage(std::string_view question, std::string_view passage);

// What the prompt needs, before any coverage is known: retrieval or not, the
// answer's freshness class, and why.
struct PromptClass {
  bool retrieval = true;           // false: tier none, the model answers on its own
  Freshness freshness = Freshness::never;
  bool time_sensitive = false;     // an explicit time cue (today, latest, 今天, a date near now)
  std::vector<std::string> reasons;
  std::string decided_by = "rule"; // "rule", "classifier", "model"
  QuestionForm question = QuestionForm::none;  // the form of a factual question (fact_question.h)
  std::string question_match;      // the words of that form ("who", "为什么")
  bool personal = false;           // about the user's own things: the knowledge base first
  std::string personal_match;
  std::string direct_task;         // the direct-task rule that fired ("" = none)
  // Classifier probabilities (-1 when a rule decided first) and how sure it was.
  double p_changing = -1, p_fast = -1, p_retrieval = -1;
  bool uncertain = false;          // within uncertain_margin of a threshold
};

// Decision 1 and the freshness class: direct-task rules, then explicit time cues,
// then the learned classifier (words view for English, concepts view for Chinese).
// Reasons name the rule or the classifier's top features with their weights.
PromptClass classify_prompt(std::string_view prompt, int64_t now, const RouterOptions& options = {});

// The best local source for a question: its coverage and when it was fetched or
// ingested (unix seconds; 0 = unknown, which covers only never-changing answers).
struct LocalEvidence {
  double coverage = 0;
  int64_t fetched_at = 0;
};

struct RouteDecision {
  Tier tier = Tier::local;
  Freshness freshness = Freshness::never;
  bool time_sensitive = false;
  double coverage = 0;
  std::vector<std::string> reasons;  // short English phrases, e.g. "time cue 'latest'",
                                     // "local coverage 0.42 < 0.70", "forced: web=always"
  // The decision in words a user understands: "asks for facts ('why') → knowledge
  // base, then web: no local source covers it".
  std::string summary;
  bool needs_web() const { return tier == Tier::web_light || tier == Tier::web_deep; }
  bool needs_retrieval() const { return tier != Tier::none; }
  PromptClass prompt;               // what classify_prompt said
};

// Decision for a prompt that missed the answer cache. web=always goes online (even
// for a prompt that needs no retrieval); web=never keeps it off the web. A prompt
// that needs no retrieval gets tier none (when the classifier, not a rule, said so
// and the knowledge base covers the prompt: local); otherwise a changing answer goes online
// unless a local source covers it and is young enough for its class, and a settled
// one stays local when covered. Online questions go web-light when the answer lives
// in snippets (fast-changing facts: prices, scores, weather), web-deep otherwise.
RouteDecision route(const PromptClass& prompt, const LocalEvidence& local, WebMode web, int64_t now,
                    const RouterOptions& options = {});
// classify_prompt + route, with a local source of unknown age.
RouteDecision route(std::string_view question, double local_coverage, WebMode web, int64_t now,
                    const RouterOptions& options = {});

}  // namespace owlet::answer
