// The inference engine: N parallel sequences ("slots") in one llama_context,
// driven by one scheduler thread with continuous batching.
//
// Each decode step packs one token for every generating slot plus chunks of
// pending prompts, up to n_batch tokens, so new requests join between steps
// without waiting for others to finish. A new request takes the free slot
// whose KV cache shares the longest prefix with its prompt (or copies that
// prefix from another slot's KV stream), so a repeated system prompt or
// injected sources are evaluated once.
//
//   auto eng = Engine::create(model, {.n_slots = 4}, &err);
//   Completion c = eng->generate({.prompt = text}, [](std::string_view t) { ...; return true; });
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <functional>
#include <string_view>

#include "common/error.h"
#include "llm/prompt_text.h"
#include "llm/sampling.h"

struct llama_context;
struct llama_batch;
struct ggml_threadpool;

namespace owlet::llm {

class Model;

enum class FinishReason { stop, length, cancelled, error };
const char* finish_reason_name(FinishReason r);

// Receives generated text in whole UTF-8 characters. Return false to stop.
using TextCallback = std::function<bool(std::string_view)>;

// Called once when a job ends, on the thread that ended it.
struct Completion;
using DoneCallback = std::function<void(const Completion&)>;

// Threads to use when 0 is configured.
int default_threads();

struct EngineParams {
  int n_slots = 4;                  // parallel sequences
  int n_ctx_slot = 4096;            // context per sequence, in tokens
  int n_batch = 512;                // tokens per decode step, all slots together
  int n_threads = 0;                // 0 = default_threads()
  std::string kv_type = "f16";      // f16 | bf16 | q8_0 | f32
  std::string flash_attn = "auto";  // auto | on | off
  int max_queue = 64;               // requests waiting for a slot; more are refused
  // Speculative decoding: a small model of the same vocabulary proposes up to
  // n_draft tokens per step; the main model checks them in one batch and keeps
  // the ones it would have produced itself, so output is unchanged.
  const Model* draft = nullptr;
  int n_draft = 6;
};

struct Request {
  std::string prompt;               // templated text; tokenized with the model's special tokens
  std::vector<TextSpan> text_spans; // message text in `prompt`, tokenized as plain text (ChatTemplate::apply)
  SamplingParams sampling;
  int num_predict = -1;             // -1 = until end of generation or context full
  int num_ctx = 0;                  // per-request context limit; 0 = the slot's
  std::vector<std::string> stop;    // never emitted; matched across token boundaries
  bool truncate = false;            // drop the oldest prompt tokens instead of failing on overflow
  // Evaluate the prompt into a slot's KV cache and stop: nothing is sampled, the
  // job ends with finish stop and no text. A later prompt that starts with this
  // one finds it by the longest-prefix slot choice (warming a prompt's fixed part
  // while its variable part is still being gathered). A prompt some slot already
  // holds costs nothing and leaves that slot's longer cache alone.
  bool prefill_only = false;
  // Prompt tokens evaluated per step at most (0 = n_batch). A background prefill
  // in small steps yields to a new request, or to its cancel, within one step.
  int max_step_tokens = 0;
  const std::atomic<bool>* cancel = nullptr;  // optional external cancel flag, polled every step
  // Special tokens whose text is emitted (a chat template's <think>, tool-call
  // markers…): the output parser needs them. Others stay invisible.
  std::vector<std::string> preserved_tokens;
};

struct Completion {
  bool ok = false;
  Error error;                      // when !ok: prompt_too_long, queue_full, bad_request (grammar), unavailable, internal
  FinishReason finish = FinishReason::error;
  std::string text;
  int n_prompt = 0;                 // prompt tokens (after truncation)
  int n_prompt_cached = 0;          // of which reused from the KV cache
  int n_generated = 0;
  int slot = -1;
  double queue_ms = 0;              // waiting for a slot
  double prompt_ms = 0;             // prompt evaluation
  double generate_ms = 0;           // first token to last
  double ttft_ms = 0;               // submit to first token
  int n_drafted = 0;                // speculative tokens proposed by the draft model
  int n_accepted = 0;               // of which the main model kept
};

// A submitted request. Callbacks run on the engine thread: keep them short.
class Job {
 public:
  void cancel() { cancelled_ = true; }
  bool done() const;
  Completion wait();
  // Waits up to ms; true when done.
  bool wait_for(int ms);

 private:
  friend class Engine;
  Request req_;
  TextCallback on_text_;
  DoneCallback on_done_;
  std::vector<int> tokens_;
  std::atomic<bool> cancelled_{false};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  Completion result_;
  double t_submit_ = 0;
  void finish(Completion c);
};

struct EngineStats {
  int n_slots = 0;
  int slots_busy = 0;
  int queue_depth = 0;
  int kv_cells_used = 0;            // tokens held in the KV cache, all slots
  int kv_cells_total = 0;
  uint64_t tokens_prompt = 0;       // evaluated since start
  uint64_t tokens_cached = 0;       // prompt tokens reused instead of evaluated
  uint64_t tokens_generated = 0;
  uint64_t tokens_drafted = 0;      // speculative decoding: proposed
  uint64_t tokens_accepted = 0;     // and kept
};

class Engine {
 public:
  static std::unique_ptr<Engine> create(const Model& model, const EngineParams& params, Error* err);
  ~Engine();  // finishes nothing: pending and running jobs end as cancelled
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Queues a request. The job fails at once (ok=false) when the prompt does
  // not fit (prompt_too_long), the grammar is invalid (bad_request), or the
  // queue is full (queue_full).
  std::shared_ptr<Job> submit(Request req, TextCallback on_text = nullptr, DoneCallback on_done = nullptr);
  // submit() + wait().
  Completion generate(Request req, TextCallback on_text = nullptr);

  EngineStats stats() const;
  const Model& model() const { return *model_; }
  const EngineParams& params() const { return params_; }
  std::vector<int> tokenize(const std::string& text, bool add_special) const;
  // Tokens at the start of `prompt` (tokenized as submit() does) whose KV some
  // slot holds, or will once its current prompt is in: what a request that
  // begins with `prompt` would not evaluate again.
  // `n_tokens`, when given, receives the prompt's length in tokens.
  int cached_prefix(const std::string& prompt, int* n_tokens = nullptr) const;

 private:
  struct Slot;
  Engine() = default;
  void loop();
  void assign_locked();
  void start_slot(Slot& s, std::shared_ptr<Job> job);
  bool held_by_a_slot(const std::vector<int>& tokens) const;
  bool step();  // one decode: cancellations, a batch of generating slots and prompt chunks, sampling
  void finish_cancelled();
  void batch_generating(::llama_batch& batch);
  std::vector<std::pair<Slot*, size_t>> batch_prompts(::llama_batch& batch);
  void sample_slot(Slot& s);
  void emit_token(Slot& s, int token);
  void finish_slot(Slot& s, FinishReason why, Error error = {});
  std::vector<int> draft_tokens(Slot& s, int max_tokens);

  const Model* model_ = nullptr;
  EngineParams params_;
  llama_context* ctx_ = nullptr;
  llama_context* draft_ctx_ = nullptr;
  ggml_threadpool* threadpool_ = nullptr;  // persistent, polling workers: lower per-token latency
  struct BatchDeleter {
    void operator()(::llama_batch* b) const;
  };
  std::unique_ptr<::llama_batch, BatchDeleter> batch_;  // reused every step
  std::vector<std::unique_ptr<Slot>> slots_;
  std::deque<std::shared_ptr<Job>> queue_;
  mutable std::mutex mu_;
  mutable std::mutex held_mu_;  // the slots' `held` (after mu_ where both are taken)
  std::condition_variable cv_;
  bool stopping_ = false;
  std::atomic<int> busy_{0};
  std::atomic<uint64_t> n_prompt_{0}, n_cached_{0}, n_generated_{0}, n_drafted_{0}, n_accepted_{0};
  std::atomic<int> kv_used_{0};
  uint64_t use_counter_ = 0;
  std::thread thread_;
};

}  // namespace owlet::llm
