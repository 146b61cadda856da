// What both APIs share: load the model, build the prompt with its own chat
// template and queue the request on its engine. Errors come back with a kind.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "llm/chat_parser.h"
#include "llm/chat_template.h"
#include "llm/model_manager.h"
#include "obs/metrics.h"
#include "server/json_body.h"

namespace owlet::server {

struct GenerationOptions {
  llm::SamplingParams sampling;
  int num_predict = -1;
  int num_ctx = 0;
  std::vector<std::string> stop;
  std::optional<std::chrono::milliseconds> keep_alive;
  std::string draft_model;  // options.draft_model: speculative decoding with this draft ("" = the configured one)
};

struct ChatRequest {
  std::string model;
  std::vector<llm::ChatMessage> messages;  // chat: templated
  std::string raw_prompt;                  // generate with raw=true or a plain completion: used as is
  bool use_raw = false;
  GenerationOptions options;
  llm::ChatOptions chat;                   // tools, tool choice, reasoning effort (chat only)
  std::optional<bool> think;               // unset: the template's default (thinking models think)
};

struct ChatRun {
  Error error;                      // set when the generation could not start
  std::shared_ptr<llm::ModelHandle> handle;
  std::shared_ptr<llm::Job> job;
  double load_ms = 0;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  llm::ChatPrompt prompt;                  // as rendered (empty format for raw prompts)
  std::shared_ptr<llm::ChatParser> parser; // reads the output back; set before the job starts
  bool ok() const { return error.ok(); }
};

// Ollama's "options" object (and the top-level "format" and "keep_alive"), onto GenerationOptions.
bool parse_ollama_options(const json& body, GenerationOptions* out, Error* err);

// Renders a chat request with the model's own template: tools, tool choice and
// thinking; unsupported when the template can do neither asked-for thing.
bool render_chat(const ChatRequest& req, llm::LoadedModel& model, llm::ChatPrompt* out, Error* err);

class ChatService {
 public:
  ChatService(llm::ModelManager& models, obs::Metrics& metrics) : models_(models), metrics_(metrics) {}
  // Loads the model, templates the messages and submits the generation, filling
  // *run. on_text and on_done run on the engine thread; on_done runs once the
  // job has ended, also when the engine refused it at once (then run->error is
  // set too). `cancel` is polled every decode step. Tools or thinking the
  // model's template cannot do are refused (unsupported), as Ollama does.
  void start(const ChatRequest& req, const std::atomic<bool>* cancel, llm::TextCallback on_text,
             llm::DoneCallback on_done, ChatRun* run);
  // Loads a model and returns its handle (Ollama's empty-prompt "load" request, embeddings).
  std::shared_ptr<llm::ModelHandle> acquire(const std::string& model, std::optional<std::chrono::milliseconds> ka,
                                            Error* err, double* load_ms = nullptr, const std::string& draft = "");
  llm::ModelManager& models() { return models_; }

 private:
  llm::ModelManager& models_;
  obs::Metrics& metrics_;
};

}  // namespace owlet::server
