// A loaded GGUF model: weights, vocabulary and metadata.
//
//   Error err;
//   auto m = llm::Model::load({.path = "qwen.gguf"}, &err);
//   if (!m) { fprintf(stderr, "%s\n", err.message.c_str()); ... }
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/error.h"

struct llama_model;
struct llama_vocab;

namespace owlet::llm {

struct ModelParams {
  std::string path;
  // Layers offloaded to this machine's GPUs (and the RPC servers below): -1 =
  // all, as llama.cpp and Ollama do; in a CPU-only build every layer stays here.
  int n_gpu_layers = -1;
  bool use_mmap = true;
  bool vocab_only = false;  // the tokenizer and metadata only, no weights (cheap checks)
  // llama.cpp RPC servers ("host:port,...", llm/rpc.h) holding the offloaded
  // layers; with n_gpu_layers 0 every layer goes there. Only these servers:
  // another model's servers in the same process are not this model's.
  std::string rpc_servers;
};

struct ModelInfo {
  std::string architecture;  // general.architecture, e.g. "qwen2"
  std::string description;   // llama.cpp's one-line description, e.g. "qwen2 1B Q4_0"
  std::string name;          // general.name when present
  uint64_t n_params = 0;
  uint64_t size_bytes = 0;
  int n_ctx_train = 0;
  int n_embd = 0;
  int n_vocab = 0;
  bool has_chat_template = false;
  bool is_embedding = false;  // encoder-only (BERT-like): embeddings, no chat
};

class Model {
 public:
  // Returns nullptr and a one-line reason in *err when the file is missing
  // (not_found), a directory or not a regular file, unreadable (io), or empty,
  // not GGUF, truncated, or lacking tensors the architecture needs (parse).
  static std::unique_ptr<Model> load(const ModelParams& params, Error* err);
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const ModelInfo& info() const { return info_; }
  const std::string& path() const { return path_; }
  // Metadata value by GGUF key, "" when absent.
  std::string meta(const std::string& key) const;

  llama_model* raw() const { return model_; }
  const llama_vocab* vocab() const;

 private:
  Model() = default;
  llama_model* model_ = nullptr;
  std::string path_;
  ModelInfo info_;
};

}  // namespace owlet::llm
