#include "app/stack.h"

#include <arpa/inet.h>

#include "app/model_profile.h"
#include "app/served_model.h"
#include "kb/knowledge_base.h"
#include "llm/draft_fit.h"
#include "llm/embedder.h"
#include "llm/model.h"
#include "llm/model_manager.h"
#include "models/model_identity.h"
#include "models/model_store.h"
#include "obs/metrics.h"
#include "web/http_client.h"
#include "web/knowledge_cache.h"
#include "web/search_providers.h"

namespace owlet::app {

using answer::Experiment;
using answer::Pipeline;
using answer::PipelineOptions;
using answer::PipelineServices;

KnowledgeParts::KnowledgeParts() = default;
KnowledgeParts::~KnowledgeParts() { kb.reset(); }  // the knowledge base embeds with the embedder: it goes first
KnowledgeParts::KnowledgeParts(KnowledgeParts&&) noexcept = default;
Stack::Stack() = default;
Stack::~Stack() {
  arm_pipelines.clear();
  pipeline.reset();
  cluster.reset();  // its replication threads use the knowledge base
  models.reset();   // engines use the draft model
}

Pipeline* Stack::choose(const std::string& client_id, std::string* arm) const {
  int i = experiment.assign(client_id);
  if (i < 0 || static_cast<size_t>(i) >= arm_pipelines.size()) {
    if (arm) arm->clear();
    return pipeline.get();
  }
  if (arm) *arm = experiment.arms()[static_cast<size_t>(i)].name;
  return arm_pipelines[static_cast<size_t>(i)].get();
}

namespace {

// A model file named by a config key (the embedding and the draft model).
std::unique_ptr<llm::Model> load_model(const Config& cfg, const std::string& key, const std::string& name,
                                       std::string* path, Error* err) {
  std::unique_ptr<llm::Model> m;
  if (models::resolve_model(name, path, err)) m = llm::Model::load({*path, cfg.num_gpu, cfg.mmap}, err);
  if (!m) *err = err->with_prefix(key + ": ");
  return m;
}

}  // namespace

bool open_knowledge(const Config& cfg, KnowledgeParts* o, Error* err) {
  kb::KbOptions opts;
  opts.journal_changes = !cfg.cluster_redis.empty();  // a replica publishes its changes (cluster/replicator.h)
  if (!cfg.embedding_model.empty()) {
    std::string path;
    if (!(o->emb_model = load_model(cfg, "embedding_model", cfg.embedding_model, &path, err))) return false;
    llm::EmbedParams ep;
    ep.n_threads = cfg.threads;
    o->embedder = llm::Embedder::create(*o->emb_model, ep, err);
    if (!o->embedder) {
      *err = err->with_prefix("embedding_model: ");
      return false;
    }
    llm::Embedder* e = o->embedder.get();
    opts.embedder.id = o->emb_model->info().name.empty() ? path : o->emb_model->info().name;
    opts.embedder.dim = e->dim();
    opts.embedder.embed = [e](const std::vector<std::string>& texts) {
      std::vector<std::vector<float>> out;
      Error why;
      if (!e->embed(texts, true, &out, &why)) out.clear();
      return out;
    };
  }
  std::string dir = config_knowledge_path(cfg);
  o->kb = kb::KnowledgeBase::open(dir, opts, err);
  if (!o->kb) {
    *err = err->with_prefix("knowledge base " + dir + ": ");
    return false;
  }
  return true;
}

bool model_manager_params(const Config& cfg, llm::ModelManagerParams* out, Error* err) {
  llm::ModelManagerParams mp;
  // The names the operator configured resolve like the CLI's; names from requests
  // by spelling only, and never as file paths (models/model_store.h). A served
  // model is also asked for by the name clients see it listed under.
  std::vector<std::string> configured = {cfg.model, cfg.draft_model, cfg.embedding_model};
  for (const auto& [arm, overrides] : cfg.arms)
    for (const auto& [key, value] : overrides)
      if (key == "model") configured.push_back(value);
  // Names as Ollama compares them: "qwen3-tiny:latest" is the served "qwen3-tiny".
  auto alias_of = [aliases = served_aliases(cfg)](const std::string& name) {
    for (const auto& [alias, ref] : aliases)
      if (models::same_model_name(alias, name)) return ref;
    return name;
  };
  mp.resolve = [alias_of, resolve = models::make_resolver(std::move(configured))](
                   const std::string& name, std::string* path, Error* e) { return resolve(alias_of(name), path, e); };
  // A created model's own TEMPLATE (app/model_profile.h).
  mp.template_for = [alias_of](const std::string& name) { return stored_template(alias_of(name)); };
  if (!llm::parse_keep_alive(cfg.keep_alive, &mp.keep_alive, err)) return false;
  mp.engine.n_slots = cfg.parallel;
  mp.engine.n_ctx_slot = cfg.ctx_size;
  mp.engine.n_batch = cfg.batch_size;
  mp.engine.n_threads = cfg.threads;
  mp.engine.kv_type = cfg.precision;
  mp.engine.flash_attn = cfg.flash_attn;
  mp.engine.n_draft = cfg.n_draft;
  mp.embed.n_threads = cfg.threads;
  mp.model.n_gpu_layers = cfg.num_gpu;
  mp.model.use_mmap = cfg.mmap;
  mp.model.rpc_servers = cfg.rpc_servers;
  *out = std::move(mp);
  return true;
}

PipelineOptions pipeline_options(const Config& cfg) {
  PipelineOptions o;
  o.router.coverage_threshold = cfg.coverage_threshold;
  o.router_model = cfg.router_model;
  o.context.token_budget = cfg.context_tokens;
  o.context.max_sources = cfg.max_sources;
  o.context.confidence = cfg.context_confidence;
  o.context.relative_floor = cfg.context_floor;
  o.context.best_neighbors = cfg.context_neighbors;
  o.context.max_sentences_per_source = cfg.context_per_source;
  o.context.chunks = cfg.context_chunks;
  o.context_reuse = cfg.context_reuse;
  o.context.extension_tokens = cfg.context_extension;
  o.prefetch_followup = cfg.context_prefetch;
  o.prefill_early = cfg.prefill_early;
  answer::parse_web_mode(cfg.web, &o.web);
  o.extractive = cfg.engine == "extractive";
  o.search_deadline = std::chrono::milliseconds(cfg.search_deadline_ms);
  o.fetch_deadline = std::chrono::milliseconds(cfg.fetch_deadline_ms);
  o.total_deadline = std::chrono::milliseconds(cfg.total_deadline_ms);
  o.fetch_pages = cfg.fetch_pages;
  o.ttl_fast_s = config_parse_duration(cfg.cache_ttl_fast);
  o.ttl_slow_s = config_parse_duration(cfg.cache_ttl_slow);
  o.ttl_never_s = config_parse_duration(cfg.cache_ttl_never);
  o.learn = cfg.learn;
  o.max_tool_rounds = cfg.max_tool_rounds;
  o.default_model = served_name(cfg.model);
  o.sampling.temperature = cfg.temperature;
  o.sampling.top_k = cfg.top_k;
  o.sampling.top_p = cfg.top_p;
  o.sampling.min_p = cfg.min_p;
  o.sampling.repeat_penalty = cfg.repeat_penalty;
  o.sampling.repeat_last_n = cfg.repeat_last_n;
  o.sampling.seed = cfg.seed;
  o.num_predict = cfg.num_predict;
  return o;
}

namespace {

bool looks_like_address(const std::string& s) {
  std::string addr = s.substr(0, s.find('/'));
  unsigned char buf[16];
  return inet_pton(AF_INET, addr.c_str(), buf) == 1 || inet_pton(AF_INET6, addr.c_str(), buf) == 1;
}

// Appends cfg's search providers to *owned and their pointers to *used.
bool make_providers(const Config& cfg, std::vector<std::unique_ptr<web::SearchProvider>>* owned,
                    std::vector<const web::SearchProvider*>* used, Error* err) {
  const size_t first = owned->size();
  for (const std::string& name : config_split_list(cfg.search_providers)) {
    if (name == "searxng") {
      owned->push_back(web::make_searxng_provider({cfg.searxng_url, ""}));
    } else if (name == "brave") {
      owned->push_back(web::make_brave_provider({cfg.brave_url, cfg.brave_api_key, ""}));
    } else if (name == "ollama") {
      std::string key = cfg.ollama_api_key;
      if (key.empty())
        if (const char* k = getenv("OLLAMA_API_KEY")) key = k;
      owned->push_back(web::make_ollama_provider({cfg.ollama_search_url, key}));
    } else if (name == "wikipedia") {
      web::WikipediaOptions w;
      w.base_url = cfg.wikipedia_url;
      owned->push_back(web::make_wikipedia_provider(w));
    } else if (name == "duckduckgo") {
      owned->push_back(web::make_duckduckgo_provider({cfg.duckduckgo_url, ""}));
    } else {
      return fail(err, ErrorKind::bad_request,
                  "search_providers: unknown provider '" + name + "' (searxng, brave, ollama, wikipedia, duckduckgo)");
    }
  }
  for (size_t i = first; i < owned->size(); ++i) used->push_back((*owned)[i].get());
  return true;
}

// The config's checks that report plain text (every such error is the config's).
bool config_ok(bool ok, const std::string& why, Error* err) {
  return ok || fail(err, ErrorKind::bad_request, why);
}

// The configured draft must fit the configured model: said at start, not at the
// first request. Only the target's vocabulary is read. (Other models a request
// names run with the draft where it fits, without it elsewhere.)
bool check_draft_fits(const Config& cfg, const llm::ModelManagerParams& mp, const llm::Model& draft, Error* err) {
  std::string path;
  Error why;
  if (cfg.model.empty() || !mp.resolve(served_name(cfg.model), &path, &why)) return true;  // the load says why
  auto target = llm::Model::load({path, 0, true, /*vocab_only=*/true}, &why);
  if (!target) return true;
  if (llm::draft_fits(*target, draft, err)) return true;
  *err = err->with_prefix("draft_model: ");
  return false;
}

bool load_models(const Config& cfg, const StackOptions& options, Stack* out, Error* err) {
  if (!options.models) return true;
  llm::ModelManagerParams mp;
  if (!model_manager_params(cfg, &mp, err)) return false;
  if (options.n_slots > 0) mp.engine.n_slots = options.n_slots;
  if (!cfg.draft_model.empty()) {
    std::string path;
    if (!(out->draft = load_model(cfg, "draft_model", cfg.draft_model, &path, err))) return false;
    if (!check_draft_fits(cfg, mp, *out->draft, err)) return false;
    mp.engine.draft = out->draft.get();
  }
  out->models = std::make_unique<llm::ModelManager>(std::move(mp));
  return true;
}

std::unique_ptr<web::HttpClient> make_http_client(const Config& cfg, const StackOptions& options) {
  web::ClientOptions co;
  if (!cfg.user_agent.empty()) co.user_agent = cfg.user_agent;
  co.domains.allow = config_split_list(cfg.allow_domains);
  co.domains.deny = config_split_list(cfg.deny_domains);
  co.domains.requests_per_second = cfg.host_rate_limit;
  for (const std::string& a : config_split_list(cfg.allow_private))
    (looks_like_address(a) ? co.ssrf.allow_cidrs : co.ssrf.allow_hosts).push_back(a);
  if (options.tune_http) options.tune_http(co);
  return std::make_unique<web::HttpClient>(co);
}

std::unique_ptr<web::KnowledgeCache> make_page_cache(const Config& cfg, obs::Metrics* metrics) {
  web::KnowledgeCacheOptions kco;
  kco.max_bytes = static_cast<size_t>(config_parse_size(cfg.knowledge_cache_size));
  auto cache = std::make_unique<web::KnowledgeCache>(kco);
  web::KnowledgeCache* pc = cache.get();
  metrics->gauge_fn("owlet_knowledge_cache_hit_ratio", "fetched-page cache: share of lookups served from it",
                    [pc] { return pc->stats().hit_rate(); });
  metrics->gauge_fn("owlet_knowledge_cache_bytes", "fetched-page cache: bytes held",
                    [pc] { return static_cast<double>(pc->stats().bytes); });
  return cache;
}

}  // namespace

bool build_stack(const Config& cfg, const StackOptions& options, Stack* out, Error* err) {
  // Arms are checked before anything is opened, so a bad override fails fast.
  std::string why;
  if (!config_ok(config_check_arms(cfg, &why) && Experiment::parse(cfg.experiment_arms, &out->experiment, &why), why,
                 err))
    return false;
  std::vector<Config> arm_cfgs(out->experiment.arms().size());
  for (size_t i = 0; i < arm_cfgs.size(); ++i)
    if (!config_ok(config_for_arm(cfg, out->experiment.arms()[i].name, &arm_cfgs[i], &why), why, err)) return false;
  if (!load_models(cfg, options, out, err) || !open_knowledge(cfg, &out->knowledge, err)) return false;
  out->http = make_http_client(cfg, options);
  std::vector<const web::SearchProvider*> base_providers;
  if (!make_providers(cfg, &out->providers, &base_providers, err)) return false;
  // An arm that names other providers gets its own; the rest share the base ones.
  std::vector<std::vector<const web::SearchProvider*>> arm_providers(arm_cfgs.size(), base_providers);
  for (size_t i = 0; i < arm_cfgs.size(); ++i) {
    if (arm_cfgs[i].search_providers == cfg.search_providers) continue;
    arm_providers[i].clear();
    if (!make_providers(arm_cfgs[i], &out->providers, &arm_providers[i], err)) {
      *err = err->with_prefix("arm." + out->experiment.arms()[i].name + ".");
      return false;
    }
  }
  out->page_cache = make_page_cache(cfg, &out->metrics);

  // With cluster_redis: shared tiers behind the caches, and (owlet serve) replication.
  out->cluster = cluster::attach(cfg, {out->knowledge.kb.get(), out->page_cache.get(), out->http.get(), &out->metrics},
                                 {options.replicate, ""}, err);
  if (err && !err->ok()) return false;

  if (kb::KnowledgeBase* kb = out->knowledge.kb.get()) {
    // The answer cache's size, read at scrape time (its hits are counted by the pipeline).
    out->metrics.gauge_fn("owlet_answer_cache_entries", "answers held in the answer cache",
                          [kb] { return static_cast<double>(kb->cache_stats().entries); });
    out->metrics.gauge_fn("owlet_answer_cache_bytes", "bytes of the answers held in the answer cache",
                          [kb] { return static_cast<double>(kb->cache_stats().bytes); });
  }

  PipelineServices sv;
  sv.models = out->models.get();
  sv.kb = out->knowledge.kb.get();
  sv.http = out->http.get();
  sv.providers = base_providers;
  sv.page_cache = out->page_cache.get();
  sv.metrics = &out->metrics;
  if (out->models) {
    // The answer cache keeps each model's answers apart by what the name resolves to now.
    sv.model_identity = [resolve = out->models->params().resolve](const std::string& name, std::string* id) {
      std::string path;
      Error e;
      return resolve(name, &path, &e) && models::model_identity(path, id, &e);
    };
  }
  out->pipeline = std::make_unique<Pipeline>(sv, pipeline_options(cfg));
  for (size_t i = 0; i < arm_cfgs.size(); ++i) {
    PipelineServices asv = sv;
    asv.providers = arm_providers[i];
    PipelineOptions po = pipeline_options(arm_cfgs[i]);
    po.arm = out->experiment.arms()[i].name;
    out->arm_pipelines.push_back(std::make_unique<Pipeline>(asv, po));
  }
  return true;
}

}  // namespace owlet::app
