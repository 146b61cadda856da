// owlet-bench-grounded — how fast a grounded answer starts, and whether the
// answer is in what the model saw, on a multi-page loopback web built from
// XQuAD (xquad_web.h: pages of 4 paragraphs, a BM25 search API of its own).
//
// Serve mode (default): `owlet serve` (the real binary) with the given model, one
// server per arm, each with a fresh knowledge path, `web: always`, `learn: false`,
// searching the loopback web. Arms, on the same questions:
//   plain  POST /api/chat with owlet.ground = false (no retrieval, no sources)
//   today  the context defaults before issue #19 (1,024-token budget filled,
//          no adaptive stop, no block reuse, no early prefill)
//   new    owlet's defaults now
//   naive  the peer: the top-k retrieved chunks whole (context_chunks = k)
// Each grounded question is POST /api/answer (streamed, include_context, cache
// off, num_predict 1): time to the `sources` event and to the end (= the first
// token) on the client's clock, prompt tokens, recall = a gold answer string in
// the returned context, and the route's stage timings against its total.
// Questions run in an order that puts different articles next to each other
// (cold: no two neighbours share pages). Then pairs: two questions about the
// same paragraph back to back; the second one's time against the first's.
//
// Tune mode (--tune): no server, no generation. The answer pipeline runs in
// process (extractive, same web) to get each question's fused candidates; then
// every context setting of a grid is built over them, counted with the model's
// tokenizer: tokens and recall per setting, for choosing defaults on one half.
//
//   owlet-bench-grounded --model q05.gguf [--lang en,zh] [--split odd] [--questions 80]
//   owlet-bench-grounded --model q05.gguf --tune --split even [--budgets ...] [--conf ...]
//
// Variants mode (--variants, issue #26): no server, no generation; the four
// rows of the table (defaults with block reuse and prefetch replayed;
// reuse and prefetch off; the old fill; naive top-2 chunks) over the same
// questions, on the page layout --pages (blocks, noisy: the answer's paragraph
// among three of other articles; article: every paragraph of the article),
// --split tune|check (halves by article). Answer-in-context, mean prompt tokens
// (the model's template and tokenizer), block tokens.
//
//   owlet-bench-grounded --model q05.gguf --variants --pages noisy --split tune --questions 40
//
// Tune on --split even, report --split odd (the default).
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "answer/context_builder.h"
#include "answer/context_memory.h"
#include "answer/pipeline.h"
#include "answer/prompt.h"
#include "bench_process.h"
#include "eval_data.h"
#include "kb/knowledge_base.h"
#include "llm/chat_template.h"
#include "llm/engine.h"
#include "llm/model.h"
#include "web/http_client.h"
#include "web/search_providers.h"
#include "xquad_web.h"

extern char** environ;

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace owlet;
using namespace owlet::bench;
using answer::eval::flag;
using answer::eval::has_flag;

namespace {

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double at = p * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(at);
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (at - static_cast<double>(lo));
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

bool contains_any(const std::string& text, const std::vector<std::string>& answers) {
  for (const auto& a : answers)
    if (!a.empty() && text.find(a) != std::string::npos) return true;
  return false;
}

std::string temp_dir(const char* name) {
  std::string tmpl = (fs::temp_directory_path() / (std::string(name) + "-XXXXXX")).string();
  return mkdtemp(tmpl.data()) ? tmpl : "";
}

// even/odd: by the question's line (the #19 halves); tune/check: by a hash of
// the article's title, so that no article has questions in both halves.
bool in_split(const std::string& split, const XquadQuestion& q) {
  if (split == "even") return q.index % 2 == 0;
  if (split == "odd") return q.index % 2 == 1;
  if (split == "tune") return article_half(q.article) == 0;
  if (split == "check") return article_half(q.article) == 1;
  return true;
}

// The split's questions, at most `limit`, spread over the split and ordered so
// that neighbours come from different articles (pages): one question per
// article in turn.
std::vector<const XquadQuestion*> pick_questions(const XquadSite& site, const std::string& split, int limit) {
  std::vector<const XquadQuestion*> all;
  for (const XquadQuestion& q : site.questions)
    if (in_split(split, q)) all.push_back(&q);
  if (limit > 0 && static_cast<int>(all.size()) > limit) {
    std::vector<const XquadQuestion*> spread;
    for (int i = 0; i < limit; ++i) spread.push_back(all[static_cast<size_t>(i) * all.size() / static_cast<size_t>(limit)]);
    all = std::move(spread);
  }
  std::map<std::string, std::vector<const XquadQuestion*>> by_article;
  std::vector<std::string> order;
  for (const XquadQuestion* q : all) {
    const std::string& t = site.paragraph_titles[static_cast<size_t>(q->paragraph)];
    if (!by_article.count(t)) order.push_back(t);
    by_article[t].push_back(q);
  }
  std::vector<const XquadQuestion*> out;
  for (size_t round = 0; out.size() < all.size(); ++round)
    for (const std::string& t : order)
      if (round < by_article[t].size()) out.push_back(by_article[t][round]);
  return out;
}

// ---------------------------------------------------------------- tune mode

struct Setting {
  std::string name;
  answer::ContextOptions options;
};

struct Tally {
  std::vector<double> tokens;
  int hits = 0;
  int n = 0;
  double recall() const { return n ? static_cast<double>(hits) / n : 0; }
};

// Second questions over the same pages: for pairs of questions about one
// paragraph, the second one's block with the first one's remembered (as the
// pipeline's ContextMemory does) against its block built fresh.
void report_pairs(const XquadSite& site, const std::vector<const XquadQuestion*>& qs,
                  const std::map<const XquadQuestion*, std::vector<answer::Source>>& candidates, const Setting& setting,
                  const answer::TokenCounter& count, const std::vector<int>& extension_caps) {
  std::map<int, std::vector<const XquadQuestion*>> by_paragraph;
  for (const XquadQuestion* q : qs) by_paragraph[q->paragraph].push_back(q);
  // One row per extension cap (context_extension; 0 = up to the block's cap), and
  // one without the best pick's neighbours.
  struct Row {
    std::string name;
    answer::ContextOptions options;
    int extended = 0, hits = 0;
    std::vector<double> tokens;
  };
  std::vector<Row> rows;
  for (int cap : extension_caps) {
    answer::ContextOptions o = setting.options;
    o.extension_tokens = cap;
    rows.push_back({"extension cap " + (cap > 0 ? std::to_string(cap) : std::string("none")), o});
  }
  answer::ContextOptions lean = setting.options;
  lean.best_neighbors = 0;
  rows.push_back({"no best-pick neighbours", lean});
  // Prefetch: after the first answer, the block is extended for the first
  // question once more, filling (confidence 1) up to the extension cap with
  // wider neighbours; the second question extends that.
  struct Prefetch {
    std::string name;
    answer::ContextOptions options;
    int hits = 0, extended = 0;
    std::vector<double> tokens, added;
  };
  std::vector<Prefetch> pre;
  for (int nb : {1, 2, 3}) {
    answer::ContextOptions o = setting.options;
    o.confidence = 1.0;
    o.best_neighbors = nb;
    pre.push_back({"prefetch fill, neighbours " + std::to_string(nb), o});
  }
  int pairs = 0, found = 0, hit_fresh = 0;
  std::vector<double> fresh_tokens;
  for (const auto& [p, list] : by_paragraph) {
    if (list.size() < 2) continue;
    const XquadQuestion* a = list[0];
    const XquadQuestion* b = list[1];
    const auto& ca = candidates.at(a);
    const auto& cb = candidates.at(b);
    answer::ContextMemory memory;
    const answer::BuiltContext first = answer::build_context(a->text, ca, setting.options, count);
    memory.remember("prefix", first);
    std::optional<answer::BuiltContext> prior;
    if (const auto best = answer::best_evidence(b->text, cb, setting.options, count)) prior = memory.find("prefix", *best);
    const answer::BuiltContext fresh = answer::build_context(b->text, cb, setting.options, count);
    ++pairs;
    found += prior.has_value();
    hit_fresh += contains_any(fresh.text, b->answers);
    fresh_tokens.push_back(fresh.tokens);
    for (Prefetch& f : pre) {
      const answer::BuiltContext more = answer::build_context(a->text, ca, f.options, count, &first);
      const answer::BuiltContext& base = more.extends_prior ? more : first;
      f.added.push_back(base.tokens - first.tokens);
      answer::ContextMemory m2;
      m2.remember("prefix", base);
      std::optional<answer::BuiltContext> pr;
      if (const auto best = answer::best_evidence(b->text, cb, setting.options, count)) pr = m2.find("prefix", *best);
      const answer::BuiltContext second = answer::build_context(b->text, cb, setting.options, count, pr ? &*pr : nullptr);
      f.extended += second.extends_prior;
      f.hits += contains_any(second.text, b->answers);
      f.tokens.push_back(second.extends_prior ? second.tokens - base.tokens + count("<<<END SOURCES>>>\n") : second.tokens);
    }
    for (Row& r : rows) {
      const answer::BuiltContext second = answer::build_context(b->text, cb, r.options, count, prior ? &*prior : nullptr);
      r.extended += second.extends_prior;
      r.hits += contains_any(second.text, b->answers);
      // Tokens the engine must evaluate for the block: all of it, or what follows the prior's bytes.
      r.tokens.push_back(second.extends_prior ? second.tokens - first.tokens + count("<<<END SOURCES>>>\n") : second.tokens);
    }
  }
  const double n = std::max(1, pairs);
  std::printf("pairs (%s, %s): %d; prior block found %.1f%%; a fresh block: recall %.1f%%, tokens p50 %.0f\n",
              site.lang.c_str(), setting.name.c_str(), pairs, 100 * found / n, 100 * hit_fresh / n,
              percentile(fresh_tokens, 0.5));
  for (const Row& r : rows)
    std::printf("  %-26s extended %5.1f%%  second recall %5.1f%%  block tokens to evaluate p50 %4.0f mean %5.1f\n",
                r.name.c_str(), 100 * r.extended / n, 100 * r.hits / n, percentile(r.tokens, 0.5), mean(r.tokens));
  for (const Prefetch& f : pre)
    std::printf("  %-30s prefetched p50 %4.0f; extended %5.1f%%  second recall %5.1f%%  tokens to evaluate p50 %4.0f mean %5.1f\n",
                f.name.c_str(), percentile(f.added, 0.5), 100 * f.extended / n, 100 * f.hits / n, percentile(f.tokens, 0.5),
                mean(f.tokens));
}

std::vector<Setting> grid(int argc, char** argv) {
  std::vector<Setting> out;
  auto nums = [&](const char* name, const char* def) {
    std::vector<double> v;
    for (const std::string& s : split_list(flag(argc, argv, name, def))) v.push_back(std::atof(s.c_str()));
    return v;
  };
  // Today's defaults first: the row every other one is held against.
  answer::ContextOptions today;
  today.token_budget = 1024;
  today.confidence = 1;
  today.best_neighbors = 0;
  today.relative_floor = 0;
  today.max_sentences_per_source = 4;
  out.push_back({"today (1024, fill)", today});
  for (double k : nums("--chunks", "1,2,3")) {
    answer::ContextOptions o = today;
    o.chunks = static_cast<int>(k);
    out.push_back({"naive top-" + std::to_string(static_cast<int>(k)) + " chunks", o});
  }
  // Every combination of the listed values, odometer order.
  struct Knob {
    const char* flag;
    const char* values;
  };
  const std::vector<Knob> knobs = {{"--budgets", "512,384,256"}, {"--conf", "1,0.95,0.9,0.8"},
                                   {"--best-neighbors", "0,1"},  {"--neighbors", "0"},
                                   {"--clause", "0"},            {"--floor", "0,0.4"},
                                   {"--per-source", "4"}};
  std::vector<std::vector<double>> values;
  for (const Knob& k : knobs) values.push_back(nums(k.flag, k.values));
  for (const auto& v : values)
    if (v.empty()) return out;
  std::vector<size_t> at(knobs.size(), 0);
  for (bool more = true; more;) {
    auto v = [&](size_t knob) { return values[knob][at[knob]]; };
    answer::ContextOptions o;
    o.token_budget = static_cast<int>(v(0));
    o.confidence = v(1);
    o.best_neighbors = static_cast<int>(v(2));
    o.neighbor_sentences = static_cast<int>(v(3));
    o.clause_tokens = static_cast<int>(v(4));
    o.relative_floor = v(5);
    o.max_sentences_per_source = static_cast<int>(v(6));
    char name[160];
    std::snprintf(name, sizeof name, "b%d c%.2f n%d/%d cl%d f%.2f per%d", o.token_budget, o.confidence,
                  o.best_neighbors, o.neighbor_sentences, o.clause_tokens, o.relative_floor,
                  o.max_sentences_per_source);
    out.push_back({name, o});
    more = false;
    for (size_t i = knobs.size(); i-- > 0;) {
      if (++at[i] < values[i].size()) {
        more = true;
        break;
      }
      at[i] = 0;
    }
  }
  return out;
}

int run_tune(int argc, char** argv, const std::vector<XquadSite>& sites, llm::Engine& tokenizer_engine) {
  const std::string split = flag(argc, argv, "--split", "even");
  const int limit = std::atoi(flag(argc, argv, "--questions", "0").c_str());
  const double target = std::atof(flag(argc, argv, "--target", "0.92").c_str());
  std::vector<const XquadSite*> ptrs;
  for (const XquadSite& s : sites) ptrs.push_back(&s);
  LoopbackWeb web(ptrs);
  // Token counts repeat across settings: count each string once.
  std::unordered_map<std::string, int> memo;
  answer::TokenCounter count = [&](std::string_view s) {
    auto it = memo.find(std::string(s));
    if (it != memo.end()) return it->second;
    const int n = static_cast<int>(tokenizer_engine.tokenize(std::string(s), false).size());
    memo.emplace(std::string(s), n);
    return n;
  };
  const std::vector<Setting> settings = grid(argc, argv);
  for (const XquadSite& site : sites) {
    const std::string kb_dir = temp_dir("owlet-bench-grounded-kb");
    Error err;
    auto kb = kb::KnowledgeBase::open(kb_dir, {}, &err);
    web::ClientOptions co;
    co.ssrf.allow_cidrs = {"127.0.0.1"};
    web::HttpClient http(co);
    auto searxng = web::make_searxng_provider({web.base_url(), ""});
    answer::PipelineServices sv;
    sv.kb = kb.get();
    sv.http = &http;
    sv.providers = {searxng.get()};
    answer::PipelineOptions po;
    po.web = answer::WebMode::always;
    po.learn = false;
    po.context.token_budget = 1 << 20;  // the pipeline's own block is not what is measured here
    answer::Pipeline pipeline(sv, po);

    const std::vector<const XquadQuestion*> qs = pick_questions(site, split, limit);
    std::vector<Tally> tallies(settings.size());
    int fetched_gold = 0, candidate_gold = 0;
    std::map<const XquadQuestion*, std::vector<answer::Source>> candidates;
    for (const XquadQuestion* q : qs) {
      std::vector<answer::Source>& cands = candidates[q];
      answer::AnswerCallbacks cb;
      cb.on_candidates = [&](const std::vector<answer::Source>& c) { cands = c; };
      answer::AnswerRequest req;
      req.question = q->text;
      req.use_cache = false;
      pipeline.answer(req, cb);
      const std::string gold_url = web.page_url(site.lang, site.page_of_paragraph[static_cast<size_t>(q->paragraph)]);
      std::string all;
      for (const answer::Source& s : cands) {
        if (s.url == gold_url && s.origin == "web-page") ++fetched_gold;
        all += s.text + "\n";
      }
      candidate_gold += contains_any(all, q->answers);
      for (size_t i = 0; i < settings.size(); ++i) {
        const answer::BuiltContext c = answer::build_context(q->text, cands, settings[i].options, count);
        tallies[i].tokens.push_back(c.tokens);
        tallies[i].hits += contains_any(c.text, q->answers);
        ++tallies[i].n;
      }
    }
    kb.reset();
    std::error_code ec;
    fs::remove_all(kb_dir, ec);

    const double n = static_cast<double>(qs.size());
    std::printf("\n== %s, %s questions: %zu; gold page fetched %.1f%%; answer in some candidate %.1f%% ==\n",
                site.lang.c_str(), split.c_str(), qs.size(), 100 * fetched_gold / n, 100 * candidate_gold / n);
    std::printf("%-34s %9s %9s %9s %8s\n", "context setting", "tok mean", "tok p50", "tok p90", "recall");
    const Tally& today = tallies[0];
    const Setting* best = nullptr;
    const Tally* best_t = nullptr;
    for (size_t i = 0; i < settings.size(); ++i) {
      const Tally& t = tallies[i];
      std::printf("%-34s %9.1f %9.1f %9.1f %7.1f%%\n", settings[i].name.c_str(), mean(t.tokens), percentile(t.tokens, 0.5),
                  percentile(t.tokens, 0.9), 100 * t.recall());
      const bool good = settings[i].options.chunks == 0 && i > 0 && t.recall() >= target && t.hits >= today.hits;
      if (good && (!best_t || mean(t.tokens) < mean(best_t->tokens))) best = &settings[i], best_t = &t;
    }
    if (best)
      std::printf("cheapest setting at recall >= %.0f%% and >= today's: %s (%.1f tokens, %.1f%%)\n", 100 * target,
                  best->name.c_str(), mean(best_t->tokens), 100 * best_t->recall());
    else
      std::printf("no setting reaches recall >= %.0f%% and today's %.1f%%\n", 100 * target, 100 * today.recall());
    const std::string pair_name = flag(argc, argv, "--pair-setting", best ? best->name : "");
    int misses = std::atoi(flag(argc, argv, "--misses", "0").c_str());  // print some misses of that setting
    for (const Setting& st : settings) {
      if (st.name != pair_name) continue;
      std::vector<int> caps;
      for (const std::string& c : split_list(flag(argc, argv, "--extensions", "0,96,64,48,32"))) caps.push_back(std::atoi(c.c_str()));
      report_pairs(site, qs, candidates, st, count, caps);
      for (const XquadQuestion* q : qs) {
        if (misses <= 0) break;
        const answer::BuiltContext c = answer::build_context(q->text, candidates[q], st.options, count);
        std::string all;
        for (const answer::Source& s : candidates[q]) all += s.text + "\n";
        if (contains_any(c.text, q->answers) || !contains_any(all, q->answers)) continue;
        --misses;
        std::printf("MISS %s | gold: %s\n%s\n", q->text.c_str(), q->answers.empty() ? "" : q->answers[0].c_str(),
                    c.text.c_str());
      }
    }
  }
  return 0;
}

// ---------------------------------------------------------------- variants mode

// The four rows of issue #26's table, in process, without generation: each
// question's fused candidates come from the pipeline (extractive, the same
// loopback web); each variant builds its block over them, counted with the
// model's tokenizer; the prompt is the model's own template over owlet's
// messages. The defaults row replays block reuse and the follow-up prefetch
// as the pipeline does over the same question sequence (a block is extended
// only while its KV would still be held: the last prompt evaluated).
struct Variant {
  std::string name;
  answer::ContextOptions options;
  bool reuse = false;
  Tally tally;
  std::vector<double> prompt;
  int extended = 0;
};

int run_variants(int argc, char** argv, const std::vector<XquadSite>& sites, llm::Engine& tokenizer_engine,
                 const llm::ChatTemplate& tmpl) {
  const std::string split = flag(argc, argv, "--split", "tune");
  const int limit = std::atoi(flag(argc, argv, "--questions", "40").c_str());
  const int misses_wanted = std::atoi(flag(argc, argv, "--misses", "0").c_str());
  std::vector<const XquadSite*> ptrs;
  for (const XquadSite& s : sites) ptrs.push_back(&s);
  LoopbackWeb web(ptrs);
  std::unordered_map<std::string, int> memo;
  answer::TokenCounter count = [&](std::string_view s) {
    auto it = memo.find(std::string(s));
    if (it != memo.end()) return it->second;
    const int n = static_cast<int>(tokenizer_engine.tokenize(std::string(s), false).size());
    memo.emplace(std::string(s), n);
    return n;
  };
  const std::string today = "2026-12-07";
  auto prompt_tokens = [&](const std::string& question, const std::string& block, const std::string& lang) {
    const auto messages = answer::build_messages(question, block, {}, "", today, lang);
    std::string prompt;
    Error err;
    if (!tmpl.apply(messages, true, &prompt, &err)) return 0;
    return static_cast<int>(tokenizer_engine.tokenize(prompt, true).size());
  };
  for (const XquadSite& site : sites) {
    std::vector<Variant> vs;
    answer::ContextOptions defaults;
    // Knobs for choosing defaults on the tune half (the library's values unless given).
    auto knob = [&](const char* name, double* value) {
      *value = std::atof(flag(argc, argv, name, std::to_string(*value)).c_str());
    };
    auto iknob = [&](const char* name, int* value) { *value = std::atoi(flag(argc, argv, name, std::to_string(*value)).c_str()); };
    knob("--w-context", &defaults.scoring.context_weight);
    knob("--w-phrase", &defaults.scoring.phrase_weight);
    knob("--w-type", &defaults.scoring.type_bonus);
    knob("--w-weak-type", &defaults.scoring.weak_type_bonus);
    knob("--w-heading", &defaults.scoring.heading_weight);
    knob("--w-prox", &defaults.scoring.proximity_weight);
    knob("--w-ngram", &defaults.scoring.ngram_weight);
    knob("--w-passage", &defaults.scoring.passage_weight);
    knob("--conf", &defaults.confidence);
    knob("--sharpness", &defaults.sharpness);
    knob("--floor", &defaults.relative_floor);
    knob("--rank-penalty", &defaults.source_rank_penalty);
    iknob("--budget", &defaults.token_budget);
    iknob("--best-neighbors", &defaults.best_neighbors);
    iknob("--per-source", &defaults.max_sentences_per_source);
    vs.push_back({"defaults (reuse + prefetch on)", defaults, true});
    vs.push_back({"context_reuse false, context_prefetch false", defaults, false});
    answer::ContextOptions fill;
    fill.token_budget = 1024;
    fill.confidence = 1;
    fill.relative_floor = 0;
    vs.push_back({"old fill (1024, confidence 1, floor 0)", fill, false});
    answer::ContextOptions naive = fill;
    naive.chunks = 2;
    vs.push_back({"naive top-2 chunks", naive, false});

    const std::string kb_dir = temp_dir("owlet-bench-grounded-kb");
    Error err;
    auto kb = kb::KnowledgeBase::open(kb_dir, {}, &err);
    web::ClientOptions co;
    co.ssrf.allow_cidrs = {"127.0.0.1"};
    web::HttpClient http(co);
    auto searxng = web::make_searxng_provider({web.base_url(), ""});
    answer::PipelineServices sv;
    sv.kb = kb.get();
    sv.http = &http;
    sv.providers = {searxng.get()};
    answer::PipelineOptions po;
    po.web = answer::WebMode::always;
    po.learn = false;
    answer::Pipeline pipeline(sv, po);

    const std::vector<const XquadQuestion*> qs = pick_questions(site, split, limit);
    int fetched_gold = 0, candidate_gold = 0, misses = misses_wanted;
    answer::ContextMemory memory;
    std::string last_evaluated;  // the block whose KV the engine holds (one slot)
    const std::string close = "<<<END SOURCES>>>\n";
    std::vector<double> build_ms;
    for (const XquadQuestion* q : qs) {
      std::vector<answer::Source> cands;
      answer::AnswerCallbacks cb;
      cb.on_candidates = [&](const std::vector<answer::Source>& c) { cands = c; };
      answer::AnswerRequest req;
      req.question = q->text;
      req.use_cache = false;
      pipeline.answer(req, cb);
      const std::string gold_url = web.page_url(site.lang, site.page_of_paragraph[static_cast<size_t>(q->paragraph)]);
      std::string all;
      for (const answer::Source& s : cands) {
        if (s.url == gold_url && s.origin == "web-page") ++fetched_gold;
        all += s.text + "\n";
      }
      candidate_gold += contains_any(all, q->answers);
      std::string miss_text;
      for (Variant& v : vs) {
        std::optional<answer::BuiltContext> prior;
        const auto t = Clock::now();
        if (v.reuse)
          if (const auto best = answer::best_evidence(q->text, cands, v.options, count))
            prior = memory.find("prefix", *best);
        if (prior && last_evaluated.compare(0, prior->text.size() - close.size(), prior->text, 0,
                                            prior->text.size() - close.size()) != 0)
          prior.reset();  // its KV is gone: the pipeline would not extend it
        const answer::BuiltContext c = answer::build_context(q->text, cands, v.options, count, prior ? &*prior : nullptr);
        if (v.reuse) build_ms.push_back(ms_since(t));
        const bool hit = contains_any(c.text, q->answers);
        v.tally.tokens.push_back(c.tokens);
        v.tally.hits += hit;
        ++v.tally.n;
        v.extended += c.extends_prior;
        v.prompt.push_back(prompt_tokens(q->text, c.text, site.lang));
        if (v.reuse && !c.text.empty()) {
          memory.remember("prefix", c);
          last_evaluated = c.text;
          // The follow-up prefetch, as pipeline.cpp's prefetch_followup.
          answer::ContextOptions o = v.options;
          o.confidence = 1.0;
          o.best_neighbors = std::max(o.best_neighbors, 3);
          const answer::BuiltContext more = answer::build_context(q->text, cands, o, count, &c);
          if (more.extends_prior && more.text != c.text) {
            memory.remember("prefix", more);
            last_evaluated = more.text;
          }
        }
        // The misses of the builder (reuse off) that naive top-2 holds.
        if (&v == &vs[1]) miss_text = hit ? "" : c.text;
        if (&v == &vs[3] && hit && !miss_text.empty() && misses > 0) {
          --misses;
          std::printf("MISS %s | gold: %s\n%s\n", q->text.c_str(), q->answers.empty() ? "" : q->answers[0].c_str(),
                      miss_text.c_str());
        }
      }
    }
    kb.reset();
    std::error_code ec;
    fs::remove_all(kb_dir, ec);
    const double n = std::max<size_t>(1, qs.size());
    std::printf("\n== %s, %s half: %zu questions; gold page fetched %.1f%%; answer in some candidate %.1f%%; "
                "build p50 %.1f ms ==\n",
                site.lang.c_str(), split.c_str(), qs.size(), 100 * fetched_gold / n, 100 * candidate_gold / n,
                percentile(build_ms, 0.5));
    std::printf("| variant | answer in context | mean prompt tokens | mean block tokens | block p90 | extended |\n");
    std::printf("|---|---|---|---|---|---|\n");
    for (const Variant& v : vs)
      std::printf("| %s | %.1f %% | %.0f | %.0f | %.0f | %d |\n", v.name.c_str(), 100 * v.tally.recall(), mean(v.prompt),
                  mean(v.tally.tokens), percentile(v.tally.tokens, 0.9), v.extended);
  }
  return 0;
}

// ---------------------------------------------------------------- serve mode

struct Arm {
  std::string name;
  std::vector<std::pair<std::string, std::string>> config;  // on top of the common config
};

struct Sample {
  double t_sources = 0;  // client: request sent -> `sources` event
  double t_first = 0;    // client: request sent -> first token (or the end, num_predict 1)
  int prompt = 0, cached = 0, context_tokens = 0;
  std::string context;  // the sources block the model saw
  bool recall = false;
  double stage_sum = 0, total = 0;  // the route's stages and its total
  bool ok = false;
  std::string error;
};

// One streamed POST /api/answer, timed on the client's clock.
Sample ask(int port, const std::string& question, const std::vector<std::string>& answers) {
  Sample s;
  httplib::Client cli("127.0.0.1", port);
  cli.set_read_timeout(300, 0);
  httplib::Request req;
  req.method = "POST";
  req.path = "/api/answer";
  req.set_header("Content-Type", "application/json");
  req.body = json{{"question", question}, {"include_context", true}, {"cache", false},
                  {"options", {{"num_predict", 1}, {"temperature", 0}}}}
                 .dump();
  std::string buf;
  const auto t0 = Clock::now();
  json done;
  req.content_receiver = [&](const char* data, size_t len, uint64_t, uint64_t) {
    buf.append(data, len);
    for (size_t nl; (nl = buf.find('\n')) != std::string::npos;) {
      const json ev = json::parse(buf.substr(0, nl), nullptr, false);
      buf.erase(0, nl + 1);
      if (!ev.is_object()) continue;
      const std::string type = ev.value("type", "");
      if (type == "sources" && s.t_sources == 0) s.t_sources = ms_since(t0);
      if (type == "token" && s.t_first == 0) s.t_first = ms_since(t0);
      if (type == "done" || type == "error") done = ev;
    }
    return true;
  };
  auto res = cli.send(req);
  const double t_end = ms_since(t0);
  if (!res || res->status != 200 || !done.is_object() || done.value("type", "") != "done") {
    s.error = !res ? "no response" : res->status != 200 ? "HTTP " + std::to_string(res->status) : done.dump();
    return s;
  }
  if (s.t_first == 0) s.t_first = t_end;  // the one token was an end of turn, or held back
  s.prompt = done.value("prompt_eval_count", 0);
  s.cached = done.value("prompt_cached_tokens", 0);
  s.context = done.value("context", "");
  s.recall = contains_any(s.context, answers);
  const json& t = done["route"]["timings_ms"];
  for (const char* k : {"cache", "route", "search", "fetch", "extract", "rank", "prompt", "prefill", "generate"})
    s.stage_sum += t.value(k, 0.0);
  s.total = t.value("total", 0.0);
  s.ok = true;
  return s;
}

// Plain chat: the same question with no retrieval.
Sample ask_plain(int port, const std::string& question) {
  Sample s;
  httplib::Client cli("127.0.0.1", port);
  cli.set_read_timeout(300, 0);
  const json body{{"messages", {{{"role", "user"}, {"content", question}}}},
                  {"stream", false},
                  {"owlet", {{"ground", false}}},
                  {"options", {{"num_predict", 1}, {"temperature", 0}}}};
  const auto t0 = Clock::now();
  auto res = cli.Post("/api/chat", body.dump(), "application/json");
  s.t_first = ms_since(t0);
  if (!res || res->status != 200) {
    s.error = res ? "HTTP " + std::to_string(res->status) + " " + res->body : "no response";
    return s;
  }
  s.prompt = json::parse(res->body, nullptr, false).value("prompt_eval_count", 0);
  s.ok = true;
  return s;
}

struct Server {
  pid_t pid = -1;
  int port = 0;
  std::string dir;
  ~Server() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      int st = 0;
      waitpid(pid, &st, 0);
    }
    std::error_code ec;
    if (!dir.empty()) fs::remove_all(dir, ec);
  }
};

bool start_server(const std::string& binary, const std::string& model, const std::string& search_url, int threads,
                  const Arm& arm, Server* s) {
  s->dir = temp_dir("owlet-bench-grounded");
  s->port = owlet::bench::free_port();
  std::ofstream yml(s->dir + "/config.yml");
  yml << "model: " << json(model).dump() << "\nport: " << s->port << "\nthreads: " << threads
      << "\nknowledge_path: " << json(s->dir + "/kb").dump() << "\nweb: always\nlearn: false\n"
      << "search_providers: searxng\nsearxng_url: " << json(search_url).dump() << "\nallow_private: 127.0.0.1\n"
      << "log_level: error\n";
  for (const auto& [k, v] : arm.config) yml << k << ": " << v << "\n";
  if (const char* extra = std::getenv("OWLET_BENCH_CONFIG")) yml << extra << "\n";  // e.g. "context_prefetch: false"
  yml.close();
  s->pid = spawn({binary, "serve", "--config", s->dir + "/config.yml"});
  return wait_healthy(s->port, 120);
}

struct ArmResult {
  std::vector<Sample> samples;
  std::vector<double> pair_first, pair_second;
  std::vector<int> pair_second_cached, pair_second_prompt;
};

std::string fixed(double v, int decimals) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

void print_row(const std::string& lang, const std::string& arm, const ArmResult& r) {
  std::vector<double> first, sources, prompt, cached, resid;
  int hits = 0, ok = 0, errors = 0;
  for (const Sample& s : r.samples) {
    if (!s.ok) {
      ++errors;
      continue;
    }
    ++ok;
    first.push_back(s.t_first);
    if (s.t_sources > 0) sources.push_back(s.t_sources);
    prompt.push_back(s.prompt);
    cached.push_back(s.cached);
    hits += s.recall;
    if (s.total > 0) resid.push_back(s.total - s.stage_sum);
  }
  const bool plain = arm == "plain";
  std::printf("| %s | %s | %d | %.0f | %.0f | %s | %.0f (%.0f cached) | %s | %s |%s\n", lang.c_str(), arm.c_str(), ok,
              percentile(first, 0.5), percentile(first, 0.9), plain ? "—" : fixed(percentile(sources, 0.5), 0).c_str(),
              mean(prompt), mean(cached), plain ? "—" : (fixed(100.0 * hits / std::max(ok, 1), 1) + " %").c_str(),
              plain ? "—" : (fixed(percentile(resid, 0.5), 1) + " / " + fixed(percentile(resid, 0.9), 1)).c_str(),
              errors ? (" " + std::to_string(errors) + " errors").c_str() : "");
}

int run_serve(int argc, char** argv, const std::vector<XquadSite>& sites, const std::string& model) {
  const std::string binary = flag(argc, argv, "--owlet", OWLET_BINARY_PATH);
  const std::string split = flag(argc, argv, "--split", "odd");
  const int limit = std::atoi(flag(argc, argv, "--questions", "80").c_str());
  const int pairs = std::atoi(flag(argc, argv, "--pairs", "20").c_str());
  // A reader's pause between a pair's questions (the first answer is read before
  // the follow-up is typed); 0 = back to back.
  const int think_ms = std::atoi(flag(argc, argv, "--think-ms", "0").c_str());
  const int threads = std::atoi(flag(argc, argv, "--threads", "2").c_str());
  const int naive_k = std::atoi(flag(argc, argv, "--naive-k", "2").c_str());
  const std::vector<std::string> arm_names = split_list(flag(argc, argv, "--arms", "plain,today,new,naive"));
  // Today's context behaviour, spelled out so the row stays comparable when defaults move.
  const std::vector<std::pair<std::string, std::string>> today = {
      {"context_tokens", "1024"}, {"context_confidence", "1"}, {"context_neighbors", "0"}, {"context_floor", "0"},
      {"context_per_source", "4"}, {"context_reuse", "false"}, {"prefill_early", "false"}};
  std::vector<Arm> arms;
  for (const std::string& name : arm_names) {
    if (name == "plain" || name == "new") arms.push_back({name, {}});
    else if (name == "today") arms.push_back({name, today});
    else if (name == "naive") {
      Arm a{"naive top-" + std::to_string(naive_k), today};
      a.config.push_back({"context_chunks", std::to_string(naive_k)});
      arms.push_back(a);
    } else {
      std::fprintf(stderr, "unknown arm '%s' (plain, today, new, naive)\n", name.c_str());
      return 2;
    }
  }
  std::vector<const XquadSite*> ptrs;
  for (const XquadSite& s : sites) ptrs.push_back(&s);
  LoopbackWeb web(ptrs);

  std::map<std::string, std::map<std::string, ArmResult>> results;  // lang -> arm -> result
  for (const Arm& arm : arms) {
    Server server;
    if (!start_server(binary, model, web.base_url(), threads, arm, &server)) {
      std::fprintf(stderr, "owlet serve did not become healthy (arm %s; OWLET_BENCH_SERVER_LOG=file keeps its log)\n",
                   arm.name.c_str());
      return 1;
    }
    for (const XquadSite& site : sites) {
      ArmResult& r = results[site.lang][arm.name];
      const std::vector<const XquadQuestion*> qs = pick_questions(site, split, limit);
      // Warm-up: loads the model and computes this language's system prompt once.
      if (arm.name == "plain") ask_plain(server.port, site.questions[0].text);
      else ask(server.port, site.questions[0].text, {});
      for (const XquadQuestion* q : qs) {
        r.samples.push_back(arm.name == "plain" ? ask_plain(server.port, q->text) : ask(server.port, q->text, q->answers));
        if (!r.samples.back().ok) std::fprintf(stderr, "%s/%s: %s\n", site.lang.c_str(), arm.name.c_str(), r.samples.back().error.c_str());
      }
      if (arm.name == "plain") continue;
      // Pairs: two questions about one paragraph, back to back.
      std::map<int, std::vector<const XquadQuestion*>> by_paragraph;
      for (const XquadQuestion& q : site.questions)
        if (in_split(split, q)) by_paragraph[q.paragraph].push_back(&q);
      // Each pair on an article no earlier question of this run touched, so that
      // its first question is a cold one (its pages in no block sent before).
      std::set<std::string> articles;
      for (const XquadQuestion* q : qs) articles.insert(site.paragraph_titles[static_cast<size_t>(q->paragraph)]);
      int done = 0;
      for (auto& [p, list] : by_paragraph) {
        if (done >= pairs) break;
        if (list.size() < 2 || p % 4 != 1) continue;  // spread over the site
        if (!articles.insert(site.paragraph_titles[static_cast<size_t>(p)]).second) continue;
        const Sample a = ask(server.port, list[0]->text, list[0]->answers);
        if (think_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(think_ms));
        const Sample b = ask(server.port, list[1]->text, list[1]->answers);
        if (!a.ok || !b.ok) continue;
        if (std::getenv("OWLET_BENCH_PAIRS_LOG")) {
          const std::string close = "<<<END SOURCES>>>\n";
          const bool extends = a.context.size() > close.size() &&
                               b.context.compare(0, a.context.size() - close.size(), a.context, 0, a.context.size() - close.size()) == 0;
          std::fprintf(stderr, "pair %s/%s: first %.0f ms %d (%d cached), second %.0f ms %d (%d cached), extends %d, +%zu bytes\n",
                       site.lang.c_str(), arm.name.c_str(), a.t_first, a.prompt, a.cached, b.t_first, b.prompt, b.cached,
                       extends, b.context.size() - std::min(b.context.size(), a.context.size()));
        }
        r.pair_first.push_back(a.t_first);
        r.pair_second.push_back(b.t_first);
        r.pair_second_cached.push_back(b.cached);
        r.pair_second_prompt.push_back(b.prompt);
        ++done;
      }
    }
  }
  std::printf("\nGrounded answers through owlet serve (%s split, %d questions per language, %d threads)\n",
              split.c_str(), limit, threads);
  std::printf("| lang | arm | n | TTFT p50 ms | TTFT p90 ms | sources p50 ms | prompt tokens (cached) | recall | total − stages p50 / p90 ms |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& [lang, by_arm] : results)
    for (const Arm& arm : arms)
      if (by_arm.count(arm.name)) print_row(lang, arm.name, by_arm.at(arm.name));
  std::printf("\nSecond question over the same pages (pairs of questions about one paragraph, %s)\n",
              think_ms > 0 ? (std::to_string(think_ms) + " ms apart").c_str() : "back to back");
  std::printf("| lang | arm | pairs | first TTFT p50 ms | second TTFT p50 ms | median ratio second/first | second: cached / prompt tokens |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  for (const auto& [lang, by_arm] : results)
    for (const Arm& arm : arms) {
      if (!by_arm.count(arm.name) || arm.name == "plain") continue;
      const ArmResult& r = by_arm.at(arm.name);
      std::vector<double> ratio, cached, prompt;
      for (size_t i = 0; i < r.pair_first.size(); ++i) {
        ratio.push_back(r.pair_second[i] / std::max(1.0, r.pair_first[i]));
        cached.push_back(r.pair_second_cached[i]);
        prompt.push_back(r.pair_second_prompt[i]);
      }
      std::printf("| %s | %s | %zu | %.0f | %.0f | %.2f | %.0f / %.0f |\n", lang.c_str(), arm.name.c_str(), ratio.size(),
                  percentile(r.pair_first, 0.5), percentile(r.pair_second, 0.5), percentile(ratio, 0.5), mean(cached),
                  mean(prompt));
    }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string model_path = flag(argc, argv, "--model", "");
  if (model_path.empty()) {
    std::fprintf(stderr,
                 "usage: owlet-bench-grounded --model MODEL.gguf [--lang en,zh] [--split odd|even|all] [--questions N]\n"
                 "         [--pairs N] [--think-ms MS] [--arms plain,today,new,naive] [--naive-k K] [--threads N] [--data DIR]\n"
                 "       owlet-bench-grounded --model MODEL.gguf --variants [--pages blocks|noisy|article] [--split tune|check]\n"
                 "         [--questions N] [--misses N]\n"
                 "       owlet-bench-grounded --model MODEL.gguf --tune [--split even] [--budgets ...] [--conf ...]\n"
                 "         [--best-neighbors ...] [--clause ...] [--floor ...] [--per-source ...] [--chunks ...]\n");
    return 2;
  }
  // The servers read their config from the bench's file only.
  for (char** e = environ; *e;) {
    if (std::strncmp(*e, "OWLET_", 6) == 0 && std::strncmp(*e, "OWLET_BENCH_", 12) != 0) {
      const std::string name(*e, std::strchr(*e, '=') - *e);
      unsetenv(name.c_str());
    } else {
      ++e;
    }
  }
  const std::string dir = flag(argc, argv, "--data", OWLET_EVAL_DIR);
  const std::string pages = flag(argc, argv, "--pages", "blocks");
  PageLayout layout = PageLayout::kBlocks;
  if (pages == "noisy") layout = PageLayout::kNoisy;
  else if (pages == "article") layout = PageLayout::kArticle;
  else if (pages != "blocks") {
    std::fprintf(stderr, "--pages must be blocks, noisy or article\n");
    return 2;
  }
  std::vector<XquadSite> sites;
  for (const std::string& lang : split_list(flag(argc, argv, "--lang", "en,zh"))) {
    sites.emplace_back();
    if (!load_xquad_site(dir, lang, 4, &sites.back(), layout)) return 1;
  }
  if (has_flag(argc, argv, "--variants")) {
    Error err;
    auto model = llm::Model::load({model_path, 0, true}, &err);
    if (!model) {
      std::fprintf(stderr, "%s\n", err.message.c_str());
      return 1;
    }
    llm::EngineParams ep;
    ep.n_slots = 1;
    ep.n_ctx_slot = 128;
    auto engine = llm::Engine::create(*model, ep, &err);
    auto tmpl = engine ? llm::ChatTemplate::create(*model, "", &err) : nullptr;
    if (!engine || !tmpl) {
      std::fprintf(stderr, "%s\n", err.message.c_str());
      return 1;
    }
    return run_variants(argc, argv, sites, *engine, *tmpl);
  }
  if (has_flag(argc, argv, "--tune")) {
    Error err;
    auto model = llm::Model::load({model_path, 0, true}, &err);
    if (!model) {
      std::fprintf(stderr, "%s\n", err.message.c_str());
      return 1;
    }
    llm::EngineParams ep;
    ep.n_slots = 1;
    ep.n_ctx_slot = 128;
    auto engine = llm::Engine::create(*model, ep, &err);
    if (!engine) {
      std::fprintf(stderr, "%s\n", err.message.c_str());
      return 1;
    }
    return run_tune(argc, argv, sites, *engine);
  }
  return run_serve(argc, argv, sites, model_path);
}
