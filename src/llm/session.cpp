#include "llm/session.h"

#include <llama.h>

#include <chrono>
#include <thread>

#include "llm/backend.h"
#include "llm/model.h"
#include "llm/stop_matcher.h"
#include "llm/utf8_buffer.h"

namespace owlet::llm {
namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

bool kv_type_from_name(const std::string& name, ggml_type* out) {
  if (name == "f16") *out = GGML_TYPE_F16;
  else if (name == "bf16") *out = GGML_TYPE_BF16;
  else if (name == "q8_0") *out = GGML_TYPE_Q8_0;
  else if (name == "f32") *out = GGML_TYPE_F32;
  else return false;
  return true;
}

std::string token_piece(const llama_vocab* vocab, llama_token tok) {
  char buf[256];
  int n = llama_token_to_piece(vocab, tok, buf, sizeof buf, 0, false);
  if (n >= 0) return std::string(buf, static_cast<size_t>(n));
  std::string big(static_cast<size_t>(-n), '\0');
  n = llama_token_to_piece(vocab, tok, big.data(), static_cast<int32_t>(big.size()), 0, false);
  big.resize(static_cast<size_t>(n > 0 ? n : 0));
  return big;
}

}  // namespace

const char* finish_reason_name(FinishReason r) {
  switch (r) {
    case FinishReason::stop: return "stop";
    case FinishReason::length: return "length";
    case FinishReason::cancelled: return "cancelled";
    case FinishReason::error: return "error";
  }
  return "error";
}

int default_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 4 : static_cast<int>(n);
}

bool Session::abort_cb(void* self) {
  const std::atomic<bool>* flag = static_cast<Session*>(self)->abort_flag_.load();
  return flag && flag->load();
}

std::unique_ptr<Session> Session::create(const Model& model, const ContextParams& params, std::string* err) {
  backend_init();
  llama_context_params cp = llama_context_default_params();
  cp.n_ctx = static_cast<uint32_t>(params.n_ctx);
  cp.n_batch = static_cast<uint32_t>(params.n_batch);
  cp.n_ubatch = static_cast<uint32_t>(std::min(params.n_batch, 512));
  cp.n_seq_max = 1;
  int threads = params.n_threads > 0 ? params.n_threads : default_threads();
  cp.n_threads = threads;
  cp.n_threads_batch = threads;
  cp.embeddings = params.embeddings;
  cp.no_perf = true;
  if (!kv_type_from_name(params.kv_type, &cp.type_k)) {
    *err = "unknown KV-cache precision '" + params.kv_type + "'";
    return nullptr;
  }
  cp.type_v = cp.type_k;
  cp.flash_attn_type = params.flash_attn == "on"    ? LLAMA_FLASH_ATTN_TYPE_ENABLED
                       : params.flash_attn == "off" ? LLAMA_FLASH_ATTN_TYPE_DISABLED
                                                    : LLAMA_FLASH_ATTN_TYPE_AUTO;
  std::unique_ptr<Session> s(new Session());
  s->model_ = &model;
  s->n_batch_ = params.n_batch;
  cp.abort_callback = &Session::abort_cb;
  cp.abort_callback_data = s.get();
  take_llama_errors();
  s->ctx_ = llama_init_from_model(model.raw(), cp);
  if (!s->ctx_) {
    std::string why = take_llama_errors();
    while (!why.empty() && why.back() == '\n') why.pop_back();
    *err = "cannot create a context for " + model.path() + (why.empty() ? "" : ": " + why);
    return nullptr;
  }
  return s;
}

Session::~Session() {
  if (ctx_) llama_free(ctx_);
}

int Session::n_ctx() const { return static_cast<int>(llama_n_ctx(ctx_)); }

std::vector<int> Session::tokenize(const std::string& text, bool add_special) const {
  const llama_vocab* vocab = model_->vocab();
  int n = -llama_tokenize(vocab, text.data(), static_cast<int32_t>(text.size()), nullptr, 0, add_special, true);
  std::vector<int> toks(static_cast<size_t>(std::max(n, 0)));
  if (n > 0)
    llama_tokenize(vocab, text.data(), static_cast<int32_t>(text.size()), toks.data(), n, add_special, true);
  return toks;
}

GenerateResult Session::generate(const GenerateRequest& req, const TextCallback& on_text,
                                 const std::atomic<bool>* cancel) {
  GenerateResult r;
  const llama_vocab* vocab = model_->vocab();
  std::vector<llama_token> prompt = tokenize(req.prompt, true);
  r.n_prompt = static_cast<int>(prompt.size());
  const int n_ctx = this->n_ctx();
  if (prompt.empty()) {
    r.error = "empty prompt";
    return r;
  }
  if (r.n_prompt >= n_ctx) {
    r.error = "prompt is " + std::to_string(r.n_prompt) + " tokens but the context holds " + std::to_string(n_ctx) +
              " (raise --ctx-size)";
    return r;
  }
  std::string serr;
  llama_sampler* smpl = make_sampler(req.sampling, vocab, n_ctx, &serr);
  if (!smpl) {
    r.error = serr;
    return r;
  }
  struct SamplerFree {
    llama_sampler* s;
    ~SamplerFree() { llama_sampler_free(s); }
  } sampler_guard{smpl};

  abort_flag_ = cancel;
  struct ClearAbort {
    Session* s;
    ~ClearAbort() { s->abort_flag_ = nullptr; }
  } abort_guard{this};
  auto cancelled = [&] { return cancel && cancel->load(); };

  llama_memory_clear(llama_get_memory(ctx_), true);

  // Prompt, in chunks of n_batch; the abort callback can interrupt a chunk.
  auto t0 = Clock::now();
  for (size_t i = 0; i < prompt.size(); i += static_cast<size_t>(n_batch_)) {
    int n = static_cast<int>(std::min(prompt.size() - i, static_cast<size_t>(n_batch_)));
    int rc = llama_decode(ctx_, llama_batch_get_one(prompt.data() + i, n));
    if (cancelled()) {
      r.ok = true;
      r.finish = FinishReason::cancelled;
      r.prompt_ms = ms_since(t0);
      return r;
    }
    if (rc != 0) {
      r.error = "prompt evaluation failed (llama_decode returned " + std::to_string(rc) + ")";
      return r;
    }
  }
  for (llama_token t : prompt) llama_sampler_accept(smpl, t);
  r.prompt_ms = ms_since(t0);

  Utf8Buffer utf8;
  StopMatcher stops(req.stop);
  auto emit = [&](const std::string& s) {
    if (s.empty()) return true;
    r.text += s;
    return on_text ? on_text(s) : true;
  };

  auto t1 = Clock::now();
  int n_pos = r.n_prompt;
  bool stop_hit = false;
  r.finish = FinishReason::length;
  while (true) {
    if (cancelled()) {
      r.finish = FinishReason::cancelled;
      break;
    }
    if (req.num_predict >= 0 && r.n_generated >= req.num_predict) break;
    if (n_pos >= n_ctx) break;  // context full: FinishReason::length
    llama_token tok = llama_sampler_sample(smpl, ctx_, -1);
    if (llama_vocab_is_eog(vocab, tok)) {
      r.finish = FinishReason::stop;
      break;
    }
    ++r.n_generated;
    std::string out = stops.push(utf8.push(token_piece(vocab, tok)), &stop_hit);
    if (!emit(out)) {
      r.finish = FinishReason::cancelled;
      break;
    }
    if (stop_hit) {
      r.finish = FinishReason::stop;
      break;
    }
    int rc = llama_decode(ctx_, llama_batch_get_one(&tok, 1));
    ++n_pos;
    if (rc != 0) {
      if (cancelled()) {
        r.finish = FinishReason::cancelled;
        break;
      }
      r.error = "decode failed (llama_decode returned " + std::to_string(rc) + ")";
      r.generate_ms = ms_since(t1);
      return r;
    }
  }
  if (r.finish != FinishReason::cancelled && !stop_hit) {
    // Text held back for a stop string that never completed, or a dangling partial character.
    std::string tail = stops.push(utf8.flush(), &stop_hit);
    if (!stop_hit) tail += stops.flush();
    emit(tail);
  }
  r.generate_ms = ms_since(t1);
  r.ok = true;
  return r;
}

}  // namespace owlet::llm
