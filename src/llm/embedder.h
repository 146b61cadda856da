// Embeddings: one vector per text, batched, from an embedding model (BERT-like,
// pooled the way its GGUF says: CLS or mean) or from a generative model (mean
// over its last hidden states). Vectors are L2-normalized unless asked not to be.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/error.h"

struct llama_context;

namespace owlet::llm {

class ComputeThread;
class Model;

struct EmbedParams {
  int n_threads = 0;    // 0 = default_threads()
  int n_batch = 2048;   // tokens per decode; also the longest text accepted
  int n_seq = 32;       // texts per decode
  bool normalize = true;
};

class Embedder {
 public:
  static std::unique_ptr<Embedder> create(const Model& model, const EmbedParams& params, Error* err);
  ~Embedder();
  Embedder(const Embedder&) = delete;
  Embedder& operator=(const Embedder&) = delete;

  // Texts longer than the limit are cut when truncate is true, else an error
  // names the text. *n_tokens (optional) receives the tokens evaluated. Thread-safe.
  bool embed(const std::vector<std::string>& texts, bool truncate, std::vector<std::vector<float>>* out,
             Error* err, int* n_tokens = nullptr);
  int dim() const { return dim_; }
  int max_tokens() const { return max_tokens_; }

 private:
  Embedder() = default;
  bool run_batch(const std::vector<std::vector<int>>& toks, size_t begin, size_t end,
                 std::vector<std::vector<float>>* out, Error* err);
  const Model* model_ = nullptr;
  llama_context* ctx_ = nullptr;
  EmbedParams params_;
  int dim_ = 0;
  int max_tokens_ = 0;
  bool encoder_only_ = false;
  bool manual_mean_ = false;
  std::unique_ptr<ComputeThread> compute_;  // every encode/decode runs here (compute_thread.h)
  std::mutex mu_;
};

}  // namespace owlet::llm
