#include "llm/embedder.h"

#include <llama.h>

#include <cmath>

#include "llm/backend.h"
#include "llm/compute_thread.h"
#include "llm/engine.h"
#include "llm/model.h"

namespace owlet::llm {

std::unique_ptr<Embedder> Embedder::create(const Model& model, const EmbedParams& params, Error* err) {
  backend_init();
  std::unique_ptr<Embedder> e(new Embedder());
  e->model_ = &model;
  e->params_ = params;
  e->dim_ = llama_model_n_embd_out(model.raw());
  int n_ctx_train = llama_model_n_ctx_train(model.raw());
  e->max_tokens_ = std::min(params.n_batch, n_ctx_train > 0 ? n_ctx_train : params.n_batch);
  e->encoder_only_ = model.info().is_embedding;

  llama_context_params cp = llama_context_default_params();
  cp.embeddings = true;
  cp.n_ctx = static_cast<uint32_t>(params.n_batch);
  cp.n_batch = static_cast<uint32_t>(params.n_batch);
  cp.n_ubatch = static_cast<uint32_t>(params.n_batch);  // non-causal models need a whole text in one ubatch
  cp.n_seq_max = static_cast<uint32_t>(params.n_seq);
  cp.kv_unified = true;
  int threads = params.n_threads > 0 ? params.n_threads : default_threads();
  cp.n_threads = threads;
  cp.n_threads_batch = threads;
  cp.no_perf = true;
  // Embedding models carry their pooling in the GGUF; a chat model gets mean pooling.
  if (!e->encoder_only_) cp.pooling_type = LLAMA_POOLING_TYPE_MEAN;
  take_llama_errors();
  e->ctx_ = llama_init_from_model(model.raw(), cp);
  if (!e->ctx_) {
    std::string why = take_llama_errors();
    size_t nl = why.find('\n');
    if (nl != std::string::npos) why.resize(nl);
    *err = Error(ErrorKind::internal, "cannot create an embedding context for " + model.path() + (why.empty() ? "" : ": " + why));
    return nullptr;
  }
  e->manual_mean_ = llama_pooling_type(e->ctx_) == LLAMA_POOLING_TYPE_NONE;
  e->compute_ = std::make_unique<ComputeThread>();
  return e;
}

Embedder::~Embedder() {
  if (ctx_) llama_free(ctx_);
}

bool Embedder::embed(const std::vector<std::string>& texts, bool truncate, std::vector<std::vector<float>>* out,
                     Error* err, int* n_tokens) {
  std::lock_guard<std::mutex> lk(mu_);
  const llama_vocab* vocab = model_->vocab();
  std::vector<std::vector<int>> toks(texts.size());
  int total = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::string& t = texts[i];
    int n = -llama_tokenize(vocab, t.data(), static_cast<int32_t>(t.size()), nullptr, 0, true, true);
    toks[i].resize(static_cast<size_t>(std::max(n, 0)));
    if (n > 0) llama_tokenize(vocab, t.data(), static_cast<int32_t>(t.size()), toks[i].data(), n, true, true);
    if (toks[i].empty()) {
      *err = Error(ErrorKind::bad_request, "input " + std::to_string(i) + " is empty");
      return false;
    }
    if (static_cast<int>(toks[i].size()) > max_tokens_) {
      if (!truncate) {
        *err = Error(ErrorKind::prompt_too_long, "input " + std::to_string(i) + " is " + std::to_string(toks[i].size()) +
               " tokens, over the limit of " + std::to_string(max_tokens_) + " (allow truncation)");
        return false;
      }
      int eos = llama_vocab_sep(vocab);  // BERT ends with [SEP]; keep it after cutting
      toks[i].resize(static_cast<size_t>(max_tokens_));
      if (eos >= 0 && encoder_only_) toks[i].back() = eos;
    }
    total += static_cast<int>(toks[i].size());
  }
  out->assign(texts.size(), {});
  // Pack texts into decodes of at most n_batch tokens and n_seq sequences.
  size_t begin = 0;
  while (begin < toks.size()) {
    size_t end = begin;
    int used = 0;
    while (end < toks.size() && static_cast<int>(end - begin) < params_.n_seq &&
           used + static_cast<int>(toks[end].size()) <= params_.n_batch) {
      used += static_cast<int>(toks[end].size());
      ++end;
    }
    if (!run_batch(toks, begin, end, out, err)) return false;
    begin = end;
  }
  if (n_tokens) *n_tokens = total;
  return true;
}

bool Embedder::run_batch(const std::vector<std::vector<int>>& toks, size_t begin, size_t end,
                         std::vector<std::vector<float>>* out, Error* err) {
  llama_memory_t mem = llama_get_memory(ctx_);
  if (mem) llama_memory_clear(mem, true);
  int n = 0;
  for (size_t i = begin; i < end; ++i) n += static_cast<int>(toks[i].size());
  llama_batch batch = llama_batch_init(n, 0, 1);
  for (size_t i = begin; i < end; ++i) {
    for (size_t p = 0; p < toks[i].size(); ++p) {
      int k = batch.n_tokens++;
      batch.token[k] = toks[i][p];
      batch.pos[k] = static_cast<llama_pos>(p);
      batch.n_seq_id[k] = 1;
      batch.seq_id[k][0] = static_cast<llama_seq_id>(i - begin);
      batch.logits[k] = true;
    }
  }
  int rc = 0;
  compute_->run([&] { rc = encoder_only_ ? llama_encode(ctx_, batch) : llama_decode(ctx_, batch); });
  if (rc != 0) {
    llama_batch_free(batch);
    *err = Error(ErrorKind::internal, "embedding evaluation failed (" + std::to_string(rc) + ")");
    return false;
  }
  int k = 0;
  for (size_t i = begin; i < end; ++i) {
    std::vector<float> v(static_cast<size_t>(dim_), 0.0f);
    if (!manual_mean_) {
      const float* e = llama_get_embeddings_seq(ctx_, static_cast<llama_seq_id>(i - begin));
      if (!e) {
        llama_batch_free(batch);
        *err = Error(ErrorKind::internal, "model produced no pooled embedding");
        return false;
      }
      v.assign(e, e + dim_);
      k += static_cast<int>(toks[i].size());
    } else {
      for (size_t p = 0; p < toks[i].size(); ++p, ++k) {
        const float* e = llama_get_embeddings_ith(ctx_, k);
        for (int d = 0; d < dim_; ++d) v[static_cast<size_t>(d)] += e[d] / static_cast<float>(toks[i].size());
      }
    }
    if (params_.normalize) {
      double norm = 0;
      for (float x : v) norm += static_cast<double>(x) * x;
      norm = std::sqrt(norm);
      if (norm > 0)
        for (float& x : v) x = static_cast<float>(x / norm);
    }
    (*out)[i] = std::move(v);
  }
  llama_batch_free(batch);
  return true;
}

}  // namespace owlet::llm
