// A single-sequence inference session: one llama_context over a loaded Model,
// used to generate a completion for a prompt, streaming text as it comes.
//
// It is the engine's simplest path (the CLI's `ask`); the multi-request slot
// scheduler builds on the same pieces.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "llm/sampling.h"

struct llama_context;

namespace owlet::llm {

class Model;

struct ContextParams {
  int n_ctx = 4096;
  int n_batch = 512;
  int n_threads = 0;                // 0 = hardware concurrency
  std::string kv_type = "f16";      // f16 | bf16 | q8_0 | f32
  std::string flash_attn = "auto";  // auto | on | off
  bool embeddings = false;
};

struct GenerateRequest {
  std::string prompt;               // already templated
  SamplingParams sampling;
  int num_predict = -1;             // -1 = until end of generation or context full
  std::vector<std::string> stop;    // never emitted; matched across token boundaries
};

enum class FinishReason { stop, length, cancelled, error };
const char* finish_reason_name(FinishReason r);

struct GenerateResult {
  bool ok = false;
  std::string error;               // set when !ok
  FinishReason finish = FinishReason::error;
  std::string text;                // everything emitted
  int n_prompt = 0;
  int n_generated = 0;
  double prompt_ms = 0;            // prompt processing
  double generate_ms = 0;          // first sampled token to last
};

// Receives text in whole UTF-8 characters. Return false to stop early.
using TextCallback = std::function<bool(std::string_view)>;

class Session {
 public:
  static std::unique_ptr<Session> create(const Model& model, const ContextParams& params, std::string* err);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Runs one completion. `cancel` (optional) is polled between decode steps and
  // inside long prompt evaluations; setting it ends with FinishReason::cancelled.
  GenerateResult generate(const GenerateRequest& req, const TextCallback& on_text,
                          const std::atomic<bool>* cancel = nullptr);

  // Tokenizes with the model's special-token handling (BOS when the vocab wants it).
  std::vector<int> tokenize(const std::string& text, bool add_special) const;
  int n_ctx() const;

 private:
  Session() = default;
  const Model* model_ = nullptr;
  llama_context* ctx_ = nullptr;
  int n_batch_ = 512;
  std::atomic<const std::atomic<bool>*> abort_flag_{nullptr};
  static bool abort_cb(void* self);
};

// Resolves 0 to the number of threads to use on this machine.
int default_threads();

}  // namespace owlet::llm
