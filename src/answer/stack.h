// Everything an answer needs, built from the config: the knowledge base (with
// its embedding model), the HTTP client (SSRF guard, domain policy), the search
// providers, the page cache and the pipeline. `owlet ask` and `owlet serve`
// build one each.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "answer/experiment.h"
#include "answer/pipeline.h"
#include "config/config.h"
#include "llm/model_manager.h"

namespace owlet::llm {
class Model;
class Embedder;
}  // namespace owlet::llm

namespace owlet::answer {

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
bool open_knowledge(const Config& cfg, KnowledgeParts* out, std::string* err);

struct AnswerStack {
  KnowledgeParts knowledge;
  std::unique_ptr<web::HttpClient> http;
  std::vector<std::unique_ptr<web::SearchProvider>> providers;
  std::unique_ptr<web::KnowledgeCache> page_cache;
  std::unique_ptr<Pipeline> pipeline;  // the base config's (`owlet ask`, and the server without arms)
  // With `experiment_arms`: one pipeline per arm, by experiment.arms() index,
  // each from the base config plus its `arm.<name>.*` overrides. They share the
  // knowledge base (and so the answer cache), HTTP client, page cache and metrics.
  Experiment experiment;
  std::vector<std::unique_ptr<Pipeline>> arm_pipelines;
  AnswerStack();
  ~AnswerStack();  // the pipelines (and their learners) go before what they use

  // The pipeline for this client: its arm's, sticky by client id (*arm = the
  // arm's name), or the single pipeline when there is no experiment (*arm = "").
  Pipeline* choose(const std::string& client_id, std::string* arm) const;
};

PipelineOptions pipeline_options(const Config& cfg);

// Engine, embedding and model-loading parameters from the config (keep_alive is
// parsed by the caller, which reports its errors).
llm::ModelManagerParams model_manager_params(const Config& cfg);

// models may be null (extractive answers only). False with *err naming the key
// or path at fault.
bool build_answer_stack(const Config& cfg, llm::ModelManager* models, obs::Metrics* metrics, AnswerStack* out,
                        std::string* err);

}  // namespace owlet::answer
