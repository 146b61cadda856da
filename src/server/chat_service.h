// What both APIs share: load the model, build the prompt with its own chat
// template, queue the request on its engine, and stream the result. Errors come
// back with the HTTP status to answer with.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "llm/chat_template.h"
#include "llm/model_manager.h"
#include "obs/metrics.h"
#include "server/json_body.h"
#include "server/token_stream.h"

namespace owlet::server {

struct GenerationOptions {
  llm::SamplingParams sampling;
  int num_predict = -1;
  int num_ctx = 0;
  std::vector<std::string> stop;
  std::optional<std::chrono::milliseconds> keep_alive;
};

struct ChatRequest {
  std::string model;
  std::vector<llm::ChatMessage> messages;  // chat: templated
  std::string raw_prompt;                  // generate with raw=true or a plain completion: used as is
  bool use_raw = false;
  GenerationOptions options;
};

struct ChatRun {
  int status = 200;                 // HTTP status when !ok
  std::string error;
  std::shared_ptr<llm::ModelHandle> handle;
  std::shared_ptr<llm::Job> job;
  std::shared_ptr<TokenStream> stream;
  double load_ms = 0;
  std::chrono::steady_clock::time_point started;
  bool ok() const { return error.empty(); }
};

// Ollama's "options" object (and the top-level "format"), onto GenerationOptions.
bool parse_ollama_options(const json& body, GenerationOptions* out, std::string* err);

class ChatService {
 public:
  ChatService(llm::ModelManager& models, obs::Metrics& metrics) : models_(models), metrics_(metrics) {}
  ChatRun start(const ChatRequest& req);
  // Loads a model and returns its handle (Ollama's empty-prompt "load" request, embeddings).
  std::shared_ptr<llm::ModelHandle> acquire(const std::string& model, std::optional<std::chrono::milliseconds> ka,
                                            int* status, std::string* err, double* load_ms = nullptr);
  llm::ModelManager& models() { return models_; }

 private:
  llm::ModelManager& models_;
  obs::Metrics& metrics_;
};

}  // namespace owlet::server
