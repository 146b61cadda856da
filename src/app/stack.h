// The composition root: everything `owlet ask` and `owlet serve` run on — and
// the integration tests, which build the same stack — assembled from one
// Config. Lower modules take already-built parts; only this file reads the
// config for them, loads the draft model, parses keep_alive, resolves model
// names through the model store, and owns the metrics registry.
//
//   app::Stack stack;
//   Error err;
//   if (!app::build_stack(cfg, {}, &stack, &err)) ...;
//   stack.pipeline->answer(req);
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "answer/experiment.h"
#include "answer/pipeline.h"
#include "cluster/cluster.h"
#include "common/error.h"
#include "config/config.h"
#include "llm/model_manager.h"
#include "obs/metrics.h"

namespace owlet::llm {
class Model;
class Embedder;
}  // namespace owlet::llm
namespace owlet::kb {
class KnowledgeBase;
}
namespace owlet::web {
struct ClientOptions;
class HttpClient;
class KnowledgeCache;
class SearchProvider;
}  // namespace owlet::web

namespace owlet::app {

// The knowledge base at config_knowledge_path(cfg), with the warm tier on when
// `embedding_model` is set.
struct KnowledgeParts {
  KnowledgeParts();
  ~KnowledgeParts();
  KnowledgeParts(KnowledgeParts&&) noexcept;
  std::unique_ptr<llm::Model> emb_model;
  std::unique_ptr<llm::Embedder> embedder;
  std::unique_ptr<kb::KnowledgeBase> kb;
};
bool open_knowledge(const Config& cfg, KnowledgeParts* out, Error* err);

struct StackOptions {
  bool models = true;  // false: no model manager (extractive answers only)
  int n_slots = 0;     // parallel sequences per model; 0 = cfg.parallel (`owlet ask` asks for 1)
  // Adjusts the HTTP client's options after the config's (host pins like
  // curl's --resolve, body caps): what an embedder or a test needs beyond the keys.
  std::function<void(web::ClientOptions&)> tune_http;
  // With cluster_redis: also run knowledge replication (owlet serve); without,
  // only the shared cache tiers and limits are used (one-shot commands).
  bool replicate = false;
};

struct Stack {
  obs::Metrics metrics;                      // what /metrics renders; the pipelines record into it
  std::unique_ptr<llm::Model> draft;         // speculative decoding's draft (`draft_model`), shared by every engine
  std::unique_ptr<llm::ModelManager> models;  // null with StackOptions::models = false
  KnowledgeParts knowledge;
  std::unique_ptr<web::HttpClient> http;
  std::vector<std::unique_ptr<web::SearchProvider>> providers;
  std::unique_ptr<web::KnowledgeCache> page_cache;
  std::unique_ptr<answer::Pipeline> pipeline;  // the base config's (`owlet ask`, and the server without arms)
  // With `experiment_arms`: one pipeline per arm, by experiment.arms() index,
  // each from the base config plus its `arm.<name>.*` overrides. They share the
  // knowledge base (and so the answer cache), HTTP client, page cache and metrics.
  answer::Experiment experiment;
  std::vector<std::unique_ptr<answer::Pipeline>> arm_pipelines;
  std::unique_ptr<cluster::Cluster> cluster;  // with cluster_redis (docs/CLUSTER.md)
  Stack();
  ~Stack();  // the pipelines (and their learners) go before what they use, models last

  // The pipeline for this client: its arm's, sticky by client id (*arm = the
  // arm's name), or the single pipeline when there is no experiment (*arm = "").
  answer::Pipeline* choose(const std::string& client_id, std::string* arm) const;
};

// Engine, embedding and model-loading parameters from the config, keep_alive
// parsed (bad_request naming the key) and names resolved through the model store.
bool model_manager_params(const Config& cfg, llm::ModelManagerParams* out, Error* err);
answer::PipelineOptions pipeline_options(const Config& cfg);

// False with *err naming the key or path at fault: bad_request for the config,
// not_found / parse / io for a model or knowledge-base file.
bool build_stack(const Config& cfg, const StackOptions& options, Stack* out, Error* err);

}  // namespace owlet::app
