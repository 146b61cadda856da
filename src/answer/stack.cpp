#include "answer/stack.h"

#include <arpa/inet.h>

#include "kb/knowledge_base.h"
#include "llm/embedder.h"
#include "llm/model.h"
#include "llm/model_manager.h"
#include "models/model_store.h"
#include "obs/metrics.h"
#include "web/http_client.h"
#include "web/knowledge_cache.h"
#include "web/search_providers.h"

namespace owlet::answer {

KnowledgeParts::KnowledgeParts() = default;
KnowledgeParts::~KnowledgeParts() { kb.reset(); }  // the knowledge base embeds with the embedder: it goes first
KnowledgeParts::KnowledgeParts(KnowledgeParts&&) noexcept = default;
AnswerStack::AnswerStack() = default;
AnswerStack::~AnswerStack() {
  arm_pipelines.clear();
  pipeline.reset();
}

Pipeline* AnswerStack::choose(const std::string& client_id, std::string* arm) const {
  int i = experiment.assign(client_id);
  if (i < 0 || static_cast<size_t>(i) >= arm_pipelines.size()) {
    if (arm) arm->clear();
    return pipeline.get();
  }
  if (arm) *arm = experiment.arms()[static_cast<size_t>(i)].name;
  return arm_pipelines[static_cast<size_t>(i)].get();
}

bool open_knowledge(const Config& cfg, KnowledgeParts* o, std::string* err) {
  kb::KbOptions opts;
  if (!cfg.embedding_model.empty()) {
    std::string path;
    if (!models::resolve_model(cfg.embedding_model, &path, err) ||
        !(o->emb_model = llm::Model::load({path, cfg.num_gpu, cfg.mmap}, err))) {
      *err = "embedding_model: " + *err;
      return false;
    }
    llm::EmbedParams ep;
    ep.n_threads = cfg.threads;
    o->embedder = llm::Embedder::create(*o->emb_model, ep, err);
    if (!o->embedder) {
      *err = "embedding_model: " + *err;
      return false;
    }
    llm::Embedder* e = o->embedder.get();
    opts.embedder.id = o->emb_model->info().name.empty() ? path : o->emb_model->info().name;
    opts.embedder.dim = e->dim();
    opts.embedder.embed = [e](const std::vector<std::string>& texts) {
      std::vector<std::vector<float>> out;
      std::string why;
      if (!e->embed(texts, true, &out, &why)) out.clear();
      return out;
    };
  }
  std::string dir = config_knowledge_path(cfg);
  o->kb = kb::KnowledgeBase::open(dir, opts, err);
  if (!o->kb) {
    *err = "knowledge base " + dir + ": " + *err;
    return false;
  }
  return true;
}

llm::ModelManagerParams model_manager_params(const Config& cfg) {
  llm::ModelManagerParams mp;
  mp.resolve = models::resolve_model;
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
  return mp;
}

PipelineOptions pipeline_options(const Config& cfg) {
  PipelineOptions o;
  o.router.coverage_threshold = cfg.coverage_threshold;
  o.context.token_budget = cfg.context_tokens;
  o.context.max_sources = cfg.max_sources;
  o.context.confidence = cfg.context_confidence;
  o.context.relative_floor = cfg.context_floor;
  o.context.best_neighbors = cfg.context_neighbors;
  o.context.max_sentences_per_source = cfg.context_per_source;
  o.context.chunks = cfg.context_chunks;
  o.context_reuse = cfg.context_reuse;
  o.prefill_early = cfg.prefill_early;
  parse_web_mode(cfg.web, &o.web);
  o.extractive = cfg.engine == "extractive";
  o.search_deadline = std::chrono::milliseconds(cfg.search_deadline_ms);
  o.fetch_deadline = std::chrono::milliseconds(cfg.fetch_deadline_ms);
  o.total_deadline = std::chrono::milliseconds(cfg.total_deadline_ms);
  o.fetch_pages = cfg.fetch_pages;
  o.ttl_fast_s = config_parse_duration(cfg.cache_ttl_fast);
  o.ttl_slow_s = config_parse_duration(cfg.cache_ttl_slow);
  o.ttl_never_s = config_parse_duration(cfg.cache_ttl_never);
  o.learn = cfg.learn;
  o.default_model = cfg.model;
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
                    std::vector<const web::SearchProvider*>* used, std::string* err) {
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
      *err = "search_providers: unknown provider '" + name + "' (searxng, brave, ollama, wikipedia, duckduckgo)";
      return false;
    }
  }
  for (size_t i = first; i < owned->size(); ++i) used->push_back((*owned)[i].get());
  return true;
}

}  // namespace

bool build_answer_stack(const Config& cfg, llm::ModelManager* models, obs::Metrics* metrics, AnswerStack* out,
                        std::string* err) {
  // Arms are checked before anything is opened, so a bad override fails fast.
  if (!config_check_arms(cfg, err) || !Experiment::parse(cfg.experiment_arms, &out->experiment, err)) return false;
  std::vector<Config> arm_cfgs(out->experiment.arms().size());
  for (size_t i = 0; i < arm_cfgs.size(); ++i)
    if (!config_for_arm(cfg, out->experiment.arms()[i].name, &arm_cfgs[i], err)) return false;
  if (!open_knowledge(cfg, &out->knowledge, err)) return false;
  web::ClientOptions co;
  if (!cfg.user_agent.empty()) co.user_agent = cfg.user_agent;
  co.domains.allow = config_split_list(cfg.allow_domains);
  co.domains.deny = config_split_list(cfg.deny_domains);
  for (const std::string& a : config_split_list(cfg.allow_private))
    (looks_like_address(a) ? co.ssrf.allow_cidrs : co.ssrf.allow_hosts).push_back(a);
  out->http = std::make_unique<web::HttpClient>(co);
  std::vector<const web::SearchProvider*> base_providers;
  if (!make_providers(cfg, &out->providers, &base_providers, err)) return false;
  // An arm that names other providers gets its own; the rest share the base ones.
  std::vector<std::vector<const web::SearchProvider*>> arm_providers(arm_cfgs.size(), base_providers);
  for (size_t i = 0; i < arm_cfgs.size(); ++i) {
    if (arm_cfgs[i].search_providers == cfg.search_providers) continue;
    arm_providers[i].clear();
    if (!make_providers(arm_cfgs[i], &out->providers, &arm_providers[i], err)) {
      *err = "arm." + out->experiment.arms()[i].name + "." + *err;
      return false;
    }
  }
  web::KnowledgeCacheOptions kco;
  kco.max_bytes = static_cast<size_t>(config_parse_size(cfg.knowledge_cache_size));
  out->page_cache = std::make_unique<web::KnowledgeCache>(kco);
  if (metrics) {
    web::KnowledgeCache* pc = out->page_cache.get();
    metrics->gauge_fn("owlet_knowledge_cache_hit_ratio", "fetched-page cache: share of lookups served from it",
                      [pc] { return pc->stats().hit_rate(); });
    metrics->gauge_fn("owlet_knowledge_cache_bytes", "fetched-page cache: bytes held",
                      [pc] { return static_cast<double>(pc->stats().bytes); });
  }

  PipelineServices sv;
  sv.models = models;
  sv.kb = out->knowledge.kb.get();
  sv.http = out->http.get();
  sv.providers = base_providers;
  sv.page_cache = out->page_cache.get();
  sv.metrics = metrics;
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

}  // namespace owlet::answer
