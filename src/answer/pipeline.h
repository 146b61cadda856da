// The tiered answer pipeline: one question in, a grounded, cited answer out,
// from the cheapest tier that can serve it.
//
//   answer cache (exact, then near-duplicate)            hit -> done
//   router: retrieval at all? (tier none: the model answers directly),
//           freshness class, local coverage and its age  -> tier + reasons
//   retrieval under deadlines: knowledge base [local], search snippets
//     [web-light], fetched pages [web-deep]; what arrived in time is used
//   fusion (RRF, canonical-URL and near-duplicate dedup, recency boost)
//   context builder -> prompt (model's own template) -> engine, streamed
//   citations checked; answer cached; fetched pages learned in the background
//
// Search or fetch failing or timing out falls back to the knowledge base and
// says so (offline = true, a note in the question's language). Nothing here
// throws; errors come back in AnswerResult with a kind.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "answer/context_builder.h"
#include "answer/router.h"
#include "answer/source.h"
#include "common/error.h"
#include "kb/document.h"
#include "llm/chat_template.h"
#include "llm/engine.h"
#include "llm/sampling.h"

namespace owlet::llm {
class ModelManager;
}
namespace owlet::kb {
class KnowledgeBase;
}
namespace owlet::web {
class HttpClient;
class KnowledgeCache;
class SearchProvider;
}  // namespace owlet::web
namespace owlet::obs {
class Metrics;
}

namespace owlet::answer {

// Milliseconds spent in each stage of one answer. prefill = from the prompt
// being ready to the first token (waiting for the fixed part's early prefill,
// the slot, the prompt's evaluation); generate = first token to last.
struct StageTimes {
  double cache = 0, route = 0, search = 0, fetch = 0, extract = 0, rank = 0, prompt = 0, prefill = 0, generate = 0;
  double total = 0;
};

struct PipelineOptions {
  RouterOptions router;
  ContextOptions context;
  WebMode web = WebMode::automatic;  // default when a request does not say
  bool extractive = false;           // default engine: false = the model
  std::chrono::milliseconds search_deadline{2000};
  std::chrono::milliseconds fetch_deadline{3000};
  std::chrono::milliseconds total_deadline{5000};  // all retrieval, before the prompt
  int fetch_pages = 5;        // pages read for web-deep
  int search_results = 8;     // results asked of each provider
  int kb_candidates = 8;      // knowledge-base hits considered
  int64_t ttl_fast_s = 600;   // answer-cache TTL by freshness class
  int64_t ttl_slow_s = 86400;
  int64_t ttl_never_s = 30 * 86400;
  bool paraphrase_hits = true;    // a true paraphrase of a cached question is a hit (cache_index.h)
  double recency_boost = 0.5;     // time-sensitive: score x (1 + boost) for sources from the last recent_days
  bool learn = true;              // ingest fetched pages into the knowledge base
  int max_tool_rounds = 4;        // answer_with_tools: rounds of owlet's tools before the model must answer
  // Evaluate the fixed part of the prompt (system prompt, history) while
  // retrieval runs, so only the sources and the question remain after it.
  bool prefill_early = true;
  // A question over the pages of a block sent before extends that block
  // (ContextMemory), so the engine reuses the earlier prompt's KV.
  bool context_reuse = true;
  // After a grounded answer, while the engine is idle: the block widened around
  // what the question picked (the passage a follow-up most often asks about),
  // evaluated into the KV and remembered, so a follow-up over the same pages
  // evaluates little more than its own question.
  bool prefetch_followup = true;
  std::string default_model;
  llm::SamplingParams sampling;   // defaults for requests that give none
  int num_predict = -1;
  int answer_reserve = 512;       // tokens of num_ctx kept free for the answer
  std::function<int64_t()> clock; // unix seconds; empty = the system clock (tests move time)
  std::string arm;                // experiment arm this pipeline serves ("" = none); labels metrics and results
  bool router_model = false;      // uncertain router decisions refined by the answering model (route_refiner.h)
};

// What the pipeline works with; each may be null. No models = extractive
// answers only; no knowledge base = no local tier, no answer cache; no HTTP
// client or providers = offline.
struct PipelineServices {
  llm::ModelManager* models = nullptr;
  kb::KnowledgeBase* kb = nullptr;
  web::HttpClient* http = nullptr;
  std::vector<const web::SearchProvider*> providers;
  web::KnowledgeCache* page_cache = nullptr;
  obs::Metrics* metrics = nullptr;  // owlet_answers_total, owlet_answer_duration_seconds, ...
  // A model name's identity for the answer cache (models/model_identity.h):
  // false when the name does not resolve, and then the cache is not consulted
  // (the model's own load reports why). Empty: the name is its identity.
  std::function<bool(const std::string& model, std::string* identity)> model_identity;
};

struct AnswerRequest {
  std::string question;
  std::vector<llm::ChatMessage> history;  // earlier turns; with history the answer cache is skipped
  std::string system;                     // the client's own system prompt, kept after owlet's
  std::optional<WebMode> web;
  std::optional<bool> extractive;
  std::string model;                      // "" = default_model
  std::optional<llm::SamplingParams> sampling;
  std::optional<int> num_predict;
  int num_ctx = 0;
  std::vector<std::string> stop;
  std::optional<std::chrono::milliseconds> keep_alive;
  std::string draft_model;                // speculative decoding's draft ("" = the configured one)
  bool use_cache = true;                  // false: neither served from nor stored in the answer cache
  bool local = false;                     // `owlet ask --local`: always the knowledge base, never the web
  // The client set its own temperature above 0 and no seed: it asks for a new
  // sample, so no cached answer is served (and its answer is not stored); the
  // knowledge cache of search results and pages is used as ever.
  bool fresh_sample = false;
  std::optional<bool> think;              // unset = the model's default (thinking models think)
  std::string reasoning_effort;           // "" | low | medium | high, where the template takes one
  const std::atomic<bool>* cancel = nullptr;  // polled; set = stop generating
  std::string client_id;                  // who asks (hashed key, header, address): picks the experiment arm
  // Tool mode ("owlet": {"tools": true}; answer_with_tools): the conversation
  // as the client sent it, tool turns included, and the client's own tools.
  bool owlet_tools = false;
  std::vector<llm::ChatMessage> messages;
  std::vector<llm::ToolSpec> tools;
};

struct AnswerResult {
  bool ok = false;
  Error error;            // when !ok: bad_request, too_large, not_found, prompt_too_long, queue_full, …
  std::string id;         // "ans_<hex>"
  std::string answer;     // dangling [n] markers removed; the final content only
  std::string reasoning;  // the model's thinking, apart: never cited, checked, cached or learned from
  std::vector<Source> sources;  // numbered 1..n, as cited
  std::string context;    // the sources block exactly as placed in the prompt ("" = none)
  RouteDecision decision;
  std::string served_by;  // "cache", "none", "local", "web-light", "web-deep", "offline"
  bool cache_hit = false;
  std::string cache_match;  // when cache_hit: "exact" or "paraphrase"
  bool offline = false;   // the web was wanted but failed; answered locally
  std::string note;       // shown to the user, in the question's language ("" = none)
  StageTimes times;
  int citations_removed = 0;
  std::string model;
  std::string engine;     // "llm" or "extractive"
  llm::FinishReason finish = llm::FinishReason::stop;  // stop | length | cancelled
  int prompt_tokens = 0, prompt_cached_tokens = 0, generated_tokens = 0;
  int drafted_tokens = 0, accepted_tokens = 0;  // speculative decoding (llm::Completion)
  std::vector<std::string> web_errors;  // provider/page failures, one line each
  std::string arm;        // experiment arm that answered ("" = none)
  std::vector<llm::ToolCall> tool_calls;  // tool mode: calls to the client's own tools, for it to run
  int tool_rounds = 0;                    // tool mode: rounds of owlet's tools the model used
};

struct AnswerCallbacks {
  // Once the route and the sources are known, before any answer text.
  std::function<void(const AnswerResult&)> on_route;
  // Answer text as it is generated (citations already checked); false = stop.
  std::function<bool(std::string_view)> on_text;
  // The model's thinking as it is generated (reasoning models), apart from the answer; false = stop.
  std::function<bool(std::string_view)> on_thinking;
  // The templated prompt sent to the model (debugging, `--verbose`, tests).
  std::function<void(const std::string&)> on_prompt;
  // The fused candidates the context builder picks from, best first (evaluations).
  std::function<void(const std::vector<Source>&)> on_candidates;
};

class Pipeline {
 public:
  Pipeline(PipelineServices services, PipelineOptions options);
  ~Pipeline();  // waits for background learning to finish
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // A request with owlet_tools set is answered by answer_with_tools.
  AnswerResult answer(const AnswerRequest& request, const AnswerCallbacks& callbacks = {});

  // The model answers with owlet's retrieval as tools, web_search(query) and
  // web_fetch(url), run through this pipeline's providers, SSRF guard, domain
  // policy and knowledge cache, round after round until it answers, or until
  // options().max_tool_rounds, after which it must answer. What the tools
  // return is numbered as sources; the answer's [n] are checked against them.
  // A call to one of the client's own tools (request.tools) ends the loop and
  // comes back in tool_calls. Fetched pages are learned. (tool_loop.cpp)
  AnswerResult answer_with_tools(const AnswerRequest& request, const AnswerCallbacks& callbacks = {});
  // Queues a fetched page for the knowledge base (when learning is on).
  void learn(kb::Document doc);
  const PipelineServices& services() const { return services_; }

  // Waits until pages queued for learning are stored (tests, shutdown).
  void wait_learning();
  const PipelineOptions& options() const { return options_; }

  struct Impl;

 private:
  PipelineServices services_;
  PipelineOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace owlet::answer
