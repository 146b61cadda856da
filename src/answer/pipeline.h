// The tiered answer pipeline: one question in, a grounded, cited answer out,
// from the cheapest tier that can serve it.
//
//   answer cache (exact, then near-duplicate)            hit -> done
//   router: time cues, freshness class, local coverage   -> tier + reasons
//   retrieval under deadlines: knowledge base [local], search snippets
//     [web-light], fetched pages [web-deep]; what arrived in time is used
//   fusion (RRF, canonical-URL and near-duplicate dedup, recency boost)
//   context builder -> prompt (model's own template) -> engine, streamed
//   citations checked; answer cached; fetched pages learned in the background
//
// Search or fetch failing or timing out falls back to the knowledge base and
// says so (offline = true, a note in the question's language). Nothing here
// throws; errors come back in AnswerResult with an HTTP-like status.
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
#include "llm/chat_template.h"
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
  double near_dup_jaccard = 0.8;  // cached question terms vs this one's, for a near-duplicate hit
  double recency_boost = 0.5;     // time-sensitive: score x (1 + boost) for sources from the last recent_days
  bool learn = true;              // ingest fetched pages into the knowledge base
  // Evaluate the fixed part of the prompt (system prompt, history) while
  // retrieval runs, so only the sources and the question remain after it.
  bool prefill_early = true;
  // A question over the pages of a block sent before extends that block
  // (ContextMemory), so the engine reuses the earlier prompt's KV.
  bool context_reuse = true;
  std::string default_model;
  llm::SamplingParams sampling;   // defaults for requests that give none
  int num_predict = -1;
  int answer_reserve = 512;       // tokens of num_ctx kept free for the answer
  std::function<int64_t()> clock; // unix seconds; empty = the system clock (tests move time)
  std::string arm;                // experiment arm this pipeline serves ("" = none); labels metrics and results
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
  bool use_cache = true;
  const std::atomic<bool>* cancel = nullptr;  // polled; set = stop generating
  std::string client_id;                  // who asks (hashed key, header, address): picks the experiment arm
};

struct AnswerResult {
  bool ok = false;
  int status = 200;       // HTTP status to answer with when !ok (400, 404, 500, 503)
  std::string error;
  std::string id;         // "ans_<hex>"
  std::string answer;     // dangling [n] markers removed
  std::vector<Source> sources;  // numbered 1..n, as cited
  std::string context;    // the sources block exactly as placed in the prompt ("" = none)
  RouteDecision decision;
  std::string served_by;  // "cache", "local", "web-light", "web-deep", "offline"
  bool cache_hit = false;
  bool offline = false;   // the web was wanted but failed; answered locally
  std::string note;       // shown to the user, in the question's language ("" = none)
  StageTimes times;
  int citations_removed = 0;
  std::string model;
  std::string engine;     // "llm" or "extractive"
  std::string done_reason = "stop";  // stop | length | cancelled
  int prompt_tokens = 0, prompt_cached_tokens = 0, generated_tokens = 0;
  std::vector<std::string> web_errors;  // provider/page failures, one line each
  std::string arm;        // experiment arm that answered ("" = none)
};

struct AnswerCallbacks {
  // Once the route and the sources are known, before any answer text.
  std::function<void(const AnswerResult&)> on_route;
  // Answer text as it is generated (citations already checked); false = stop.
  std::function<bool(std::string_view)> on_text;
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

  AnswerResult answer(const AnswerRequest& request, const AnswerCallbacks& callbacks = {});

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
