#include "answer/pipeline.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <random>

#include "answer/answer_cache_key.h"
#include "answer/answer_json.h"
#include "answer/cache_index.h"
#include "answer/chat_turn.h"
#include "answer/citations.h"
#include "answer/context_memory.h"
#include "answer/direct_tasks.h"
#include "answer/extractive.h"
#include "answer/fusion.h"
#include "answer/learner.h"
#include "answer/prompt.h"
#include "answer/prompt_prefix.h"
#include "answer/route_refiner.h"
#include "answer/search_query.h"
#include "kb/knowledge_base.h"
#include "kb/text.h"
#include "llm/model_manager.h"
#include "obs/log.h"
#include "obs/metrics.h"
#include "web/domain_policy.h"
#include "web/http_client.h"
#include "web/page_fetcher.h"
#include "web/url.h"
#include "web/search_fanout.h"

namespace owlet::answer {
namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;
using std::chrono::milliseconds;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

std::string new_answer_id() {
  static std::atomic<uint64_t> counter{0};
  static const uint64_t salt = std::random_device{}() * 0x9E3779B97F4A7C15ull;
  char buf[24];
  snprintf(buf, sizeof buf, "ans_%016llx", static_cast<unsigned long long>(salt ^ (++counter * 0xD6E8FEB86659FD93ull)));
  return buf;
}

// The first ~300 characters of a text, cut at a UTF-8 boundary and a word if possible.
std::string snippet_of(const std::string& text, size_t max = 300) {
  if (text.size() <= max) return text;
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  size_t space = text.rfind(' ', cut);
  if (space != std::string::npos && space > max / 2) cut = space;
  return text.substr(0, cut) + "…";
}

// A source with what every origin has: where it is, what it says, a snippet.
Source make_source(const std::string& title, const std::string& url, const std::string& text, const char* origin) {
  Source s;
  s.title = title;
  s.url = url;
  s.site = site_of(url);
  s.text = text;
  s.snippet = snippet_of(text);
  s.origin = origin;
  return s;
}

Source from_kb_hit(const kb::SearchHit& h, const kb::KnowledgeBase& kb) {
  Source s = make_source(h.title, h.source, h.text, "kb");
  s.score = h.fused_score;
  if (auto info = kb.document_info(h.document_id)) {
    s.fetched_at = info->fetched_at;
    if (info->modified_at > 0) s.published = iso_date(info->modified_at);
  }
  return s;
}

Source from_search(const web::SearchResult& r) {
  Source s = make_source(r.title, r.url, r.snippet, "web-snippet");
  s.published = r.published;
  return s;
}

const char* kind_label(web::ErrorKind k) { return web::error_kind_name(k); }

}  // namespace

struct Pipeline::Impl {
  CacheIndex cache_index;
  ContextMemory context_memory;
  // The follow-up prefetch running, if any, and the engine it runs on.
  std::mutex prefetch_mu;
  std::shared_ptr<llm::Job> prefetch;
  const llm::Engine* prefetch_engine = nullptr;
  std::string prefetch_prefix;  // the fixed prefix the prefetched block was remembered under
  BuiltContext prefetch_base;   // the block it extends (remembered again if it is stopped)
  std::unique_ptr<Learner> learner;
  std::atomic<uint64_t> answers{0}, online{0}, cache_hits{0};
};

Pipeline::Pipeline(PipelineServices services, PipelineOptions options)
    : services_(std::move(services)), options_(std::move(options)),
      impl_(std::make_unique<Impl>()) {
  if (services_.kb) {
    int64_t now = options_.clock ? options_.clock() : static_cast<int64_t>(time(nullptr));
    for (const auto& e : services_.kb->cache_list(now)) impl_->cache_index.add(e.question, e.variant, e.expires_at);
    if (options_.learn) impl_->learner = std::make_unique<Learner>(services_.kb);
  }
}

Pipeline::~Pipeline() = default;

void Pipeline::wait_learning() {
  if (impl_->learner) impl_->learner->wait_idle();
}

void Pipeline::learn(kb::Document doc) {
  if (impl_->learner) impl_->learner->learn(std::move(doc));
}

namespace {

// One answer's working state; the stages below fill it in order.
struct Run {
  const PipelineServices& sv;
  const PipelineOptions& opt;
  Pipeline::Impl& impl;
  const AnswerRequest& req;
  const AnswerCallbacks& cb;
  AnswerResult r;
  Clock::time_point t0 = Clock::now();
  int64_t now = 0;
  std::string lang;
  WebMode web = WebMode::automatic;
  bool extractive = false;
  std::vector<Source> kb_sources;
  std::vector<Source> web_sources;  // snippets, replaced by pages when read
  std::vector<web::SearchResult> search_results;
  std::vector<kb::Document> to_learn;
  AnswerCacheKey cache_key;  // empty variant: the answer cache is not used
  double best_local_coverage = 0;
  int64_t best_local_fetched = 0;
  std::string query;                   // what a web search sends (search_query.h)
  llm::ModelHandle* handle = nullptr;  // the answering model, for the model-assisted router
  std::string fixed_prefix;            // the prompt before the sources (prompt_prefix.h)
  std::shared_ptr<llm::Job> warm;      // evaluating it while retrieval runs
  std::vector<Source> ranked;          // the candidates the block was built from
  ContextOptions context;              // the options it was built with (budget, room)

  milliseconds remaining() const {
    auto left = opt.total_deadline - std::chrono::duration_cast<milliseconds>(Clock::now() - t0);
    return std::max(left, milliseconds(0));
  }
  int64_t ttl(Freshness f) const {
    return f == Freshness::fast ? opt.ttl_fast_s : f == Freshness::slow ? opt.ttl_slow_s : opt.ttl_never_s;
  }
};

void fail(Run& run, Error error) {
  run.r.ok = false;
  run.r.error = std::move(error);
}

// The request's own sampling parameters as key material ("" = the server's).
std::string sampling_material(const std::optional<llm::SamplingParams>& sp) {
  if (!sp) return "";
  const llm::SamplingParams& s = *sp;
  json j{{"temperature", s.temperature}, {"top_k", s.top_k},   {"top_p", s.top_p},
         {"min_p", s.min_p},             {"repeat_penalty", s.repeat_penalty},
         {"repeat_last_n", s.repeat_last_n}, {"seed", s.seed}, {"grammar", s.grammar}};
  for (const auto& [token, bias] : s.logit_bias) j["logit_bias"].push_back({token, bias});
  return j.dump();
}

// This request's answer-cache key: everything that changes the text
// (answer_cache_key.h); no key when the model's name does not resolve.
AnswerCacheKey cache_key(const PipelineServices& sv, const Run& run, const std::string& model) {
  const AnswerRequest& req = run.req;
  AnswerVariant v;
  v.extractive = run.extractive;
  v.web = to_string(run.web);
  if (!v.extractive) {
    v.model_identity = model;
    if (sv.model_identity && !sv.model_identity(model, &v.model_identity)) return {};
    v.system = req.system;
    for (const auto& m : req.history) {
      v.history += m.role;
      v.history += '\0';
      v.history += m.content;
      v.history += '\0';
    }
    v.think = req.think;
    v.reasoning_effort = req.reasoning_effort;
    for (const auto& t : req.tools) v.tools += t.name + '\0' + t.parameters + '\0';
    v.sampling = sampling_material(req.sampling);
    v.stop = req.stop;
    v.num_predict = req.num_predict.value_or(run.opt.num_predict);
    v.num_ctx = req.num_ctx;
  }
  return answer_cache_key(req.question, answer_variant(v));
}

bool try_cache(Run& run) {
  auto t = Clock::now();
  kb::KnowledgeBase* kb = run.sv.kb;
  bool hit = false;
  // Direct tasks (translate this, fix this code) are never answered from the cache:
  // a near-duplicate of another prompt is a different task.
  // A request for a fresh sample is never served a cached one.
  if (kb && run.req.use_cache && !run.req.fresh_sample && run.req.history.empty() && !run.cache_key.variant.empty() &&
      !detect_direct_task(run.req.question).matched()) {
    const std::string engine = run.extractive ? "extractive" : "llm";
    const std::string& variant = run.cache_key.variant;
    const char* match = "exact";
    auto entry = kb->cache_get(run.cache_key.question, variant, run.now);
    if (!entry && run.opt.paraphrase_hits)
      if (auto key = run.impl.cache_index.find(run.cache_key.question, variant, run.now)) {
        entry = kb->cache_get(*key, variant, run.now);
        match = "paraphrase";
      }
    if (entry) {
      json route = json::parse(entry->route, nullptr, false);
      hit = route.is_object();
      // web=always asks for the web: only an answer that came from it will do.
      const std::string tier = hit ? route.value("tier", "") : "";
      if (hit && run.web == WebMode::always && tier != "web-light" && tier != "web-deep") hit = false;
      if (hit) {
        run.r.answer = entry->answer;
        run.r.sources = sources_from_json(entry->sources_json);
        run.r.served_by = "cache";
        run.r.cache_hit = true;
        run.r.cache_match = match;
        run.r.engine = engine;
        run.r.model = route.value("model", "");
        Freshness f = Freshness::never;
        std::string fs = route.value("freshness", "never");
        if (fs == "fast") f = Freshness::fast;
        if (fs == "slow") f = Freshness::slow;
        run.r.decision.freshness = f;
        run.r.decision.tier = Tier::cache;
        run.r.decision.reasons = {std::string("answer cache hit, ") + match + " (first answered via " +
                                  route.value("tier", "?") + ", " + iso_date(entry->created_at) + ")"};
      }
    }
    kb->cache_count(!hit ? kb::CacheHitKind::miss
                    : run.r.cache_match == "exact" ? kb::CacheHitKind::exact
                                                   : kb::CacheHitKind::paraphrase);
  }
  run.r.times.cache = ms_since(t);
  return hit;
}

void search_local(Run& run) {
  if (!run.sv.kb) return;
  kb::SearchResult res = run.sv.kb->search(run.req.question, run.opt.kb_candidates);
  if (!res.ok()) run.r.web_errors.push_back("knowledge base: " + res.error.message);
  for (const auto& h : res.hits) run.kb_sources.push_back(from_kb_hit(h, *run.sv.kb));
  for (size_t i = 0; i < run.kb_sources.size() && i < 3; ++i) {
    double c = coverage(run.req.question, run.kb_sources[i].text);
    if (c > run.best_local_coverage) {
      run.best_local_coverage = c;
      run.best_local_fetched = run.kb_sources[i].fetched_at;
    }
  }
}

// The model-assisted router (router_model: true): an uncertain classifier decision
// is refined by the answering model itself, with a one-letter prompt.
void refine_route(Run& run, PromptClass* pc) {
  if (!run.opt.router_model || !pc->uncertain || pc->decided_by != "classifier" || !run.handle ||
      !run.handle->get().engine)
    return;
  RefineOutcome out;
  Error err;
  if (!refine_with_model(*run.handle, run.req.question, pc, &out, &err))
    pc->reasons.push_back(err.message + " (the classifier's decision stands)");
}

void decide(Run& run) {
  auto t = Clock::now();
  // A local source covers a changing question only while it is younger than the
  // answer-cache TTL of its class (settled answers: any age).
  RouterOptions ro = run.opt.router;
  ro.max_source_age_s = {0, run.opt.ttl_slow_s, run.opt.ttl_fast_s};
  ro.force_retrieval = run.req.local;
  PromptClass pc = classify_prompt(run.req.question, run.now, ro);
  refine_route(run, &pc);
  // Every prompt that is not a direct task (greeting, code, translation...) looks in
  // the knowledge base: it costs milliseconds, and the user's notes may answer it.
  if (pc.retrieval || run.web == WebMode::always || pc.decided_by != "rule") search_local(run);
  RouteDecision d = route(pc, LocalEvidence{run.best_local_coverage, run.best_local_fetched}, run.web, run.now, ro);
  run.r.decision = d;
  run.r.served_by = to_string(d.tier);
  run.r.times.route = ms_since(t);
}

// Search providers, in parallel, under the search deadline (and what is left of the total).
bool search_web(Run& run) {
  auto t = Clock::now();
  if (!run.sv.http || run.sv.providers.empty()) {
    run.r.web_errors.push_back("no search provider configured");
    return false;
  }
  web::SearchQuery q;
  q.text = run.query;  // the privacy guard's query: the question, never what was pasted
  q.max_results = run.opt.search_results;
  q.language = run.lang == "und" ? "" : run.lang;
  if (run.r.decision.freshness == Freshness::fast) q.time_range = "week";
  milliseconds deadline = std::min(run.opt.search_deadline, run.remaining());
  web::SearchOutcome out = web::search_all(*run.sv.http, run.sv.providers, q, deadline);
  for (const auto& p : out.providers) {
    if (p.error.ok()) continue;
    run.r.web_errors.push_back(p.provider + ": " + p.error.message);
    if (run.sv.metrics)
      run.sv.metrics->inc("owlet_web_fetch_errors_total", "web requests that failed, by kind",
                          {{"kind", kind_label(p.error.kind)}});
  }
  // Source governance: a denied (or not allowed) domain is neither read nor cited.
  const web::DomainPolicy& domains = run.sv.http->options().domains;
  for (const auto& r : out.results) {
    web::UrlParse u = web::parse_url(r.url);
    if (!u.error.ok() || !web::check_domain(u.url.host, domains).ok()) continue;
    run.search_results.push_back(r);
    run.web_sources.push_back(from_search(r));
  }
  run.r.times.search = ms_since(t);
  return !out.answered.empty() && !run.search_results.empty();
}

// Reads the top result pages under the fetch deadline; a page replaces its snippet.
void read_pages(Run& run) {
  auto t = Clock::now();
  std::vector<std::string> urls;
  for (const auto& r : run.search_results) {
    if (static_cast<int>(urls.size()) >= run.opt.fetch_pages) break;
    urls.push_back(r.url);
  }
  if (urls.empty()) return;
  milliseconds deadline = std::min(run.opt.fetch_deadline, run.remaining());
  if (deadline.count() <= 0) {
    run.r.web_errors.push_back("no time left to read pages");
    return;
  }
  web::PageFetchOptions fetch_options;
  fetch_options.cache_ttl = std::chrono::seconds(run.ttl(run.r.decision.freshness));  // kept as long as its answer
  std::vector<web::FetchedPage> pages =
      web::fetch_pages(*run.sv.http, urls, deadline, run.sv.page_cache, fetch_options);
  double extract_ms = 0;
  int read = 0;
  for (size_t i = 0; i < pages.size(); ++i) {
    const web::FetchedPage& p = pages[i];
    extract_ms += p.extract_ms;
    if (!p.error.ok() || p.page.text.empty()) {
      run.r.web_errors.push_back(p.url + ": " + (p.error.ok() ? "no text" : p.error.message));
      if (run.sv.metrics && !p.error.ok())
        run.sv.metrics->inc("owlet_web_fetch_errors_total", "web requests that failed, by kind",
                            {{"kind", kind_label(p.error.kind)}});
      continue;
    }
    ++read;
    Source& s = run.web_sources[i];  // urls[i] came from search_results[i]
    s.origin = "web-page";
    s.text = p.page.text;
    if (!p.page.title.empty()) s.title = p.page.title;
    if (s.published.empty()) s.published = p.page.published;
    if (s.snippet.empty()) s.snippet = snippet_of(p.page.description.empty() ? p.page.text : p.page.description);
    s.fetched_at = run.now;
    if (!p.from_cache) {
      kb::Document d;
      d.source = p.final_url.empty() ? p.url : p.final_url;
      d.title = s.title;
      d.text = p.page.text;
      d.language = p.page.language.substr(0, 2);
      d.source_kind = "web";
      d.trust = 0.5;
      d.fetched_at = run.now;
      d.modified_at = parse_iso_date(p.page.modified.empty() ? p.page.published : p.page.modified);
      run.to_learn.push_back(std::move(d));
    }
  }
  run.r.times.extract = extract_ms;
  run.r.times.fetch = std::max(0.0, ms_since(t) - extract_ms);
  if (read == 0) {
    run.r.served_by = "web-light";
    run.r.decision.reasons.push_back("no page could be read in time; answered from search snippets");
  }
}

void retrieve(Run& run) {
  const RouteDecision& d = run.r.decision;
  if (!d.needs_web()) return;
  run.query = search_query(run.req.question);
  if (run.query.empty()) {
    run.r.served_by = "local";
    run.r.decision.reasons.push_back("no search: the prompt has no question of its own outside pasted material");
    return;
  }
  if (!search_web(run)) {
    run.r.offline = true;
    run.r.served_by = "offline";
    run.r.note = offline_note(run.lang);
    run.r.decision.reasons.push_back("web search failed or found nothing: answered from the knowledge base");
    run.r.decision.summary += "; the web failed or found nothing, so: the knowledge base";
    return;
  }
  bool deep = d.tier == Tier::web_deep;
  if (!deep && run.opt.fetch_pages > 0) {
    // Snippets that do not cover the question are not enough: read the pages.
    double best = 0;
    for (const auto& s : run.web_sources) best = std::max(best, coverage(run.req.question, s.title + " " + s.text));
    if (best < run.opt.router.coverage_threshold && run.remaining().count() > 0) {
      char buf[96];
      snprintf(buf, sizeof buf, "snippets cover %.2f < %.2f: reading pages", best, run.opt.router.coverage_threshold);
      run.r.decision.reasons.push_back(buf);
      run.r.served_by = "web-deep";
      deep = true;
    }
  }
  if (deep) read_pages(run);
}

// Counts tokens as the engine's tokenizer does (the context builder's budget).
TokenCounter engine_token_counter(const llm::Engine& engine) {
  return [&engine](std::string_view s) { return static_cast<int>(engine.tokenize(std::string(s), false).size()); };
}

// A block sent before is worth extending only while the engine still holds its
// KV: else the extension costs the old block and the new units both, more than
// a fresh block. (ContextMemory cannot know: slots serve other prompts.)
bool prior_still_cached(const Run& run, const llm::Engine& engine, const BuiltContext& prior) {
  const std::string prefix = extended_block_prefix(run.fixed_prefix, prior);
  if (prefix.empty()) return false;
  int n = 0;
  const int cached = engine.cached_prefix(prefix, &n);
  return cached >= n - 4;  // the last tokens may merge with what follows
}

// Fuses, builds the context; returns the numbered context.
BuiltContext rank_and_build(Run& run, const TokenCounter& count, int budget, int room, const llm::Engine* engine) {
  if (!run.r.decision.needs_retrieval()) return {};  // tier none: the model answers on its own
  auto t = Clock::now();
  FusionOptions fo;
  fo.time_sensitive = run.r.decision.time_sensitive;
  fo.recency_boost = run.opt.recency_boost;
  fo.recent_days = run.opt.router.recent_days;
  fo.now = run.now;
  fo.max_sources = static_cast<size_t>(std::max(run.opt.context.max_sources * 2, 4));
  std::vector<std::vector<Source>> lists;
  if (!run.web_sources.empty()) lists.push_back(run.web_sources);
  // Local hits join online answers too, unless offline-only evidence would be stale noise.
  if (!run.kb_sources.empty()) lists.push_back(run.kb_sources);
  std::vector<Source> ranked = fuse_sources(lists, fo);
  if (run.cb.on_candidates) run.cb.on_candidates(ranked);
  ContextOptions co = run.opt.context;
  co.token_budget = budget;
  co.room_tokens = room;
  std::optional<BuiltContext> prior;
  if (run.opt.context_reuse && !run.fixed_prefix.empty())
    if (const std::optional<Evidence> best = best_evidence(run.req.question, ranked, co, count))
      prior = run.impl.context_memory.find(run.fixed_prefix, *best);
  if (prior && engine && !prior_still_cached(run, *engine, *prior)) prior.reset();
  BuiltContext ctx = build_context(run.req.question, ranked, co, count, prior ? &*prior : nullptr);
  run.r.times.rank = ms_since(t);
  run.context = co;
  run.ranked = std::move(ranked);
  return ctx;
}

void note_staleness(Run& run) {
  if (!run.r.offline && run.r.served_by != "local") return;
  int64_t oldest = 0;
  for (const auto& s : run.r.sources)
    if (s.fetched_at > 0 && (oldest == 0 || s.fetched_at < oldest)) oldest = s.fetched_at;
  if (oldest > 0 && run.r.decision.time_sensitive && run.now - oldest > run.ttl(run.r.decision.freshness)) {
    std::string note = stale_note(run.lang, iso_date(oldest));
    run.r.note = run.r.note.empty() ? note : run.r.note + " " + note;
  }
}

void answer_extractive(Run& run, const BuiltContext& ctx) {
  auto t = Clock::now();
  ExtractiveAnswer ea = extract_answer(run.req.question, ctx.sources);
  run.r.engine = "extractive";
  run.r.answer = ea.text.empty() ? no_sources_answer(run.lang) : ea.text;
  CitationCheck cc = check_citations(run.r.answer, static_cast<int>(ctx.sources.size()));
  run.r.answer = cc.text;
  run.r.citations_removed = cc.removed;
  if (run.cb.on_text && !run.cb.on_text(run.r.answer)) run.r.finish = llm::FinishReason::cancelled;
  run.r.times.generate = ms_since(t);
  run.r.ok = true;
}

// Templates the fixed part of the prompt and starts evaluating it, before retrieval.
void warm_up(Run& run, llm::ModelHandle& handle) {
  auto t = Clock::now();
  Error err;
  if (const llm::ChatTemplate* tmpl = handle.get().get_template(&err)) {
    llm::ChatOptions chat;
    chat.thinking = run.req.think.value_or(true);
    chat.reasoning_effort = run.req.reasoning_effort;
    run.fixed_prefix = grounded_prompt_prefix(*tmpl, chat, run.req.history, run.req.system, iso_date(run.now), run.lang);
    if (run.opt.prefill_early) run.warm = start_prefill(handle.engine(), run.fixed_prefix, run.req.num_ctx);
  }
  run.r.times.prompt += ms_since(t);
}

// The model's turn. Its reasoning is handed out and returned apart; only the
// answer text goes through the citation check and on to the cache.
void answer_llm(Run& run, llm::ModelHandle& handle, const BuiltContext& ctx) {
  TurnRequest turn;
  turn.messages =
      build_messages(run.req.question, ctx.text, run.req.history, run.req.system, iso_date(run.now), run.lang);
  turn.think = run.req.think;
  turn.chat.reasoning_effort = run.req.reasoning_effort;
  turn.wait_for = run.warm;  // the fixed part must be in a slot before this prompt picks one
  llm::Request& lr = turn.request;
  lr.sampling = run.req.sampling.value_or(run.opt.sampling);
  lr.num_predict = run.req.num_predict.value_or(run.opt.num_predict);
  lr.num_ctx = run.req.num_ctx;
  lr.stop = run.req.stop;
  lr.cancel = run.req.cancel;

  CitationFilter filter(static_cast<int>(ctx.sources.size()));
  std::string text;
  const AnswerCallbacks& cb = run.cb;
  TurnCallbacks tc;
  tc.on_prompt = cb.on_prompt;
  tc.on_reasoning = cb.on_thinking;
  tc.on_content = [&](std::string_view piece) {
    std::string out = filter.feed(piece);
    text += out;
    return out.empty() || !cb.on_text || cb.on_text(out);
  };
  TurnResult tr;
  Error err;
  if (!run_turn(handle, run.r.model, std::move(turn), tc, &tr, &err)) return fail(run, err);
  run.r.times.prompt += tr.template_ms;
  const llm::Completion& c = tr.completion;
  std::string tail = filter.finish();
  if (!tail.empty() && !tr.stopped && cb.on_text) cb.on_text(tail);
  text += tail;
  run.r.answer = text;
  run.r.reasoning = tr.message.reasoning;
  run.r.citations_removed = filter.removed();
  run.r.engine = "llm";
  run.r.finish = tr.stopped ? llm::FinishReason::cancelled : c.finish;
  run.r.prompt_tokens = c.n_prompt;
  run.r.prompt_cached_tokens = c.n_prompt_cached;
  run.r.generated_tokens = c.n_generated;
  run.r.drafted_tokens = c.n_drafted;
  run.r.accepted_tokens = c.n_accepted;
  run.r.times.prefill = tr.waited_ms + (c.ttft_ms > 0 ? c.ttft_ms : c.queue_ms + c.prompt_ms);
  run.r.times.generate = c.generate_ms;
  run.r.ok = true;
  if (run.opt.context_reuse && !run.fixed_prefix.empty() && !ctx.text.empty())
    run.impl.context_memory.remember(run.fixed_prefix, ctx);
}

// The follow-up prefetch (PipelineOptions::prefetch_followup): the block
// extended for this question once more, filling up to the extension cap with
// three sentences on each side of the best pick, then the next-best units;
// evaluated by a prefill-only job. Only on an idle engine: under load the
// compute belongs to the requests waiting.
void prefetch_followup(Run& run, const AnswerResult& answered, llm::ModelHandle& handle, const BuiltContext& ctx) {
  if (!run.opt.prefetch_followup || !run.opt.context_reuse || run.fixed_prefix.empty() || ctx.text.empty() ||
      !answered.ok || answered.finish == llm::FinishReason::cancelled)
    return;
  llm::Engine& engine = handle.engine();
  const llm::EngineStats st = engine.stats();
  if (st.slots_busy > 0 || st.queue_depth > 0) return;
  ContextOptions o = run.context;
  o.confidence = 1.0;
  o.best_neighbors = std::max(o.best_neighbors, 3);
  const BuiltContext more = build_context(run.req.question, run.ranked, o, engine_token_counter(engine), &ctx);
  if (!more.extends_prior || more.text == ctx.text) return;
  const std::string prefix = extended_block_prefix(run.fixed_prefix, more);
  if (prefix.empty()) return;
  std::lock_guard lock(run.impl.prefetch_mu);
  // 16 tokens a step: the next request stops it within one short step.
  std::shared_ptr<llm::Job> job = start_prefill(engine, prefix, run.req.num_ctx, 16);
  if (!job) return;
  Pipeline::Impl& im = run.impl;
  im.context_memory.remember(run.fixed_prefix, more);
  im.prefetch = std::move(job);
  im.prefetch_engine = &engine;
  im.prefetch_prefix = run.fixed_prefix;
  im.prefetch_base = ctx;
}

// A request on the engine a prefetch runs on stops it: the prefetch has only
// idle time. Its block gives way to the one it extends, whose KV is whole; a
// follow-up that comes before the prefetch is done extends that one instead.
void stop_prefetch(Pipeline::Impl& im, const llm::Engine& engine) {
  std::lock_guard lock(im.prefetch_mu);
  if (!im.prefetch || im.prefetch_engine != &engine) return;
  if (!im.prefetch->done()) {
    im.prefetch->cancel();
    im.context_memory.remember(im.prefetch_prefix, im.prefetch_base);
  }
  im.prefetch.reset();
}

// Only a complete answer is stored: not a length-cut, cancelled, failed or
// empty one, not a fresh sample, not an offline fallback. It remembers the
// sources it was built on, so a change to one of them drops it; one that found
// nothing lasts only until the knowledge base changes (kb/answer_cache.h).
void store(Run& run, Pipeline::Impl& impl) {
  kb::KnowledgeBase* kb = run.sv.kb;
  const AnswerResult& r = run.r;
  // A rule's tier none (a translation, a code fix, a greeting) is not cached: a
  // near-duplicate prompt ("translate X" / "translate Y") must not get this answer.
  if (!kb || !r.ok || r.cache_hit || r.offline || !run.req.use_cache || run.req.fresh_sample ||
      !run.req.history.empty() || (!r.decision.needs_retrieval() && r.decision.prompt.decided_by == "rule") ||
      r.finish != llm::FinishReason::stop || r.answer.find_first_not_of(" \t\r\n") == std::string::npos ||
      run.cache_key.variant.empty())
    return;
  kb::CachedAnswer e;
  e.question = run.cache_key.question;
  e.variant = run.cache_key.variant;
  e.answer = r.answer;
  e.sources_json = sources_to_json(r.sources).dump();
  for (const auto& s : r.sources) e.cites.push_back(s.url);
  e.found_nothing = (r.decision.needs_retrieval() && r.sources.empty()) || r.answer == no_sources_answer(run.lang);
  e.route = json{{"tier", run.r.served_by},
                 {"engine", run.r.engine},
                 {"model", run.r.model},
                 {"freshness", to_string(run.r.decision.freshness)}}
                .dump();
  e.created_at = run.now;
  e.expires_at = run.now + run.ttl(run.r.decision.freshness);
  Error err;
  if (!kb->cache_put(e, &err)) {
    obs::log(obs::LogLevel::warn, "answer cache: %s", err.message.c_str());
    return;
  }
  impl.cache_index.add(e.question, e.variant, e.expires_at);
}

void record(Run& run) {
  obs::Metrics* m = run.sv.metrics;
  if (!m) return;
  // With an experiment, each arm's pipeline labels its series so arms compare
  // side by side; without one the series keep their plain names.
  obs::Labels arm;
  if (!run.r.arm.empty()) arm.emplace_back("arm", run.r.arm);
  m->inc("owlet_answer_cache_lookups_total", "answers that looked in the answer cache", arm);
  if (run.r.cache_hit) {
    obs::Labels kind = arm;
    kind.emplace_back("kind", run.r.cache_match);
    m->inc("owlet_answer_cache_hits_total", "answers served from the answer cache, by match (exact, paraphrase)", kind);
  }
  if (!run.r.ok) return;
  obs::Labels tier = arm;
  tier.emplace_back("tier", run.r.served_by);
  m->inc("owlet_answers_total", "answers by the tier that served them", tier);
  m->observe("owlet_answer_duration_seconds", "answer latency by tier (to the last token)", tier,
             run.r.times.total / 1000.0, obs::Metrics::latency_buckets());
  // The brief's two ratios, ready to alert on (online < 30 %, cache hits > 85 %).
  Pipeline::Impl& impl = run.impl;
  const double total = static_cast<double>(++impl.answers);
  if (run.r.served_by == "web-light" || run.r.served_by == "web-deep") ++impl.online;
  if (run.r.cache_hit) ++impl.cache_hits;
  m->set("owlet_online_query_ratio", "share of answers that went to the web", arm, impl.online / total);
  m->set("owlet_answer_cache_hit_ratio", "share of answers served from the answer cache", arm, impl.cache_hits / total);
}

}  // namespace

AnswerResult Pipeline::answer(const AnswerRequest& req, const AnswerCallbacks& cb) {
  if (req.owlet_tools) return answer_with_tools(req, cb);
  Run run{services_, options_, *impl_, req, cb};
  run.now = options_.clock ? options_.clock() : static_cast<int64_t>(time(nullptr));
  run.r.id = new_answer_id();
  run.r.arm = options_.arm;
  run.web = req.local ? WebMode::never : req.web.value_or(options_.web);
  run.extractive = req.extractive.value_or(options_.extractive);
  run.lang = owlet::detect_language(req.question);
  auto finish = [&]() -> AnswerResult {
    run.r.times.total = ms_since(run.t0);
    record(run);
    return std::move(run.r);
  };
  if (req.question.find_first_not_of(" \t\r\n") == std::string::npos) {
    fail(run, Error(ErrorKind::bad_request, "the question is empty"));
    return finish();
  }
  if (req.question.size() > 32 * 1024) {
    fail(run, Error(ErrorKind::too_large, "the question is longer than 32 KiB"));
    return finish();
  }

  std::string model = req.model.empty() ? options_.default_model : req.model;
  if (!run.extractive && (model.empty() || !services_.models))
    run.extractive = true;  // nothing to generate with: the sources speak for themselves
  run.r.engine = run.extractive ? "extractive" : "llm";
  run.cache_key = cache_key(services_, run, model);
  if (try_cache(run)) {
    run.r.ok = true;
    run.r.decision.summary = "asked before → the answer cache";
    if (cb.on_route) cb.on_route(run.r);
    if (cb.on_text && !run.r.answer.empty()) cb.on_text(run.r.answer);
    return finish();
  }
  // The model before any web traffic, so a bad name fails fast (a cache hit needs none).
  std::shared_ptr<llm::ModelHandle> handle;
  if (!run.extractive) {
    Error err;
    handle = services_.models->acquire(model, req.keep_alive, &err, req.draft_model);
    if (!handle) {
      fail(run, err);
      return finish();
    }
    if (!handle->get().engine) {
      fail(run, Error(ErrorKind::unsupported, "model '" + model + "' is an embedding model and cannot generate text"));
      return finish();
    }
    run.r.model = model;
    run.handle = handle.get();
    stop_prefetch(*impl_, handle->engine());
  }
  run.r.engine = run.extractive ? "extractive" : "llm";
  decide(run);
  // A prompt that goes to the sources has a known start; evaluate it while they come.
  if (handle && run.r.decision.needs_retrieval()) warm_up(run, *handle);
  retrieve(run);

  TokenCounter count = estimate_tokens;
  int budget = options_.context.token_budget;
  int room = 0;  // unknown without an engine: the caps alone bound the block
  const llm::Engine* engine = nullptr;
  if (handle) {
    llm::Engine* e = &handle->engine();
    engine = e;
    count = engine_token_counter(*e);
    int n_ctx = req.num_ctx > 0 ? std::min(req.num_ctx, e->params().n_ctx_slot) : e->params().n_ctx_slot;
    int history_tokens = 0;
    for (const auto& h : req.history) history_tokens += estimate_tokens(h.content);
    int reserve = std::min(options_.answer_reserve, n_ctx / 2);
    room = n_ctx - reserve - history_tokens - estimate_tokens(req.question) - 200;
    budget = std::max(0, std::min(budget, room));
  }
  BuiltContext ctx = budget > 0 ? rank_and_build(run, count, budget, room, engine) : BuiltContext{};
  run.r.sources = ctx.sources;
  run.r.context = ctx.text;
  note_staleness(run);
  if (cb.on_route) cb.on_route(run.r);

  if (run.extractive) answer_extractive(run, ctx);
  else answer_llm(run, *handle, ctx);

  store(run, *impl_);
  if (impl_->learner && run.r.ok)
    for (auto& d : run.to_learn) impl_->learner->learn(std::move(d));
  AnswerResult out = finish();
  // After the total: the prefetch is no part of this answer's time.
  if (!run.extractive) prefetch_followup(run, out, *handle, ctx);
  return out;
}

}  // namespace owlet::answer
