#include "llm/engine.h"

#include <ggml-cpu.h>
#include <llama.h>

#include <algorithm>
#include <chrono>

#include "llm/backend.h"
#include "llm/draft_fit.h"
#include "llm/model.h"
#include "llm/stop_matcher.h"
#include "llm/utf8_buffer.h"

namespace owlet::llm {
namespace {

using Clock = std::chrono::steady_clock;

double now_ms() {
  return std::chrono::duration<double, std::milli>(Clock::now().time_since_epoch()).count();
}

bool kv_type_from_name(const std::string& name, ggml_type* out) {
  if (name == "f16") *out = GGML_TYPE_F16;
  else if (name == "bf16") *out = GGML_TYPE_BF16;
  else if (name == "q8_0") *out = GGML_TYPE_Q8_0;
  else if (name == "f32") *out = GGML_TYPE_F32;
  else return false;
  return true;
}

std::string token_piece(const llama_vocab* vocab, llama_token tok, bool special = false) {
  char buf[256];
  int n = llama_token_to_piece(vocab, tok, buf, sizeof buf, 0, special);
  if (n >= 0) return std::string(buf, static_cast<size_t>(n));
  std::string big(static_cast<size_t>(-n), '\0');
  n = llama_token_to_piece(vocab, tok, big.data(), static_cast<int32_t>(big.size()), 0, special);
  big.resize(static_cast<size_t>(std::max(n, 0)));
  return big;
}

// The preserved tokens that are single tokens of this vocabulary (as llama-server keeps them).
std::vector<llama_token> preserved_ids(const llama_vocab* vocab, const std::vector<std::string>& texts) {
  std::vector<llama_token> ids;
  for (const auto& t : texts) {
    llama_token one[2];
    if (llama_tokenize(vocab, t.data(), static_cast<int32_t>(t.size()), one, 2, false, true) == 1) ids.push_back(one[0]);
  }
  return ids;
}

size_t common_prefix(const std::vector<llama_token>& a, const std::vector<llama_token>& b) {
  size_t n = std::min(a.size(), b.size()), i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
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

// ---------------------------------------------------------------- Job

bool Job::done() const {
  std::lock_guard<std::mutex> lk(mu_);
  return done_;
}

Completion Job::wait() {
  std::unique_lock<std::mutex> lk(mu_);
  cv_.wait(lk, [&] { return done_; });
  return result_;
}

bool Job::wait_for(int ms) {
  std::unique_lock<std::mutex> lk(mu_);
  return cv_.wait_for(lk, std::chrono::milliseconds(ms), [&] { return done_; });
}

void Job::finish(Completion c) {
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (done_) return;
    result_ = std::move(c);
    done_ = true;
  }
  cv_.notify_all();
  if (on_done_) on_done_(result_);
}

// ---------------------------------------------------------------- Slot

enum class SlotState { idle, prompt, generating };

struct Engine::Slot {
  int id = 0;
  SlotState state = SlotState::idle;
  std::vector<llama_token> cache;   // tokens whose KV this sequence holds, in order
  std::vector<llama_token> held;    // the prompt it holds once prefilled (held_mu_; read by cached_prefix)
  std::shared_ptr<Job> job;
  std::unique_ptr<Sampler> sampler;
  size_t n_prompt_done = 0;         // prompt tokens in cache
  llama_token pending = 0;          // sampled, not yet decoded
  int batch_index = -1;             // where this slot's logits are in the current batch
  std::vector<llama_token> drafted; // speculative tokens in the current batch, after `pending`
  std::vector<llama_token> draft_cache;  // tokens the draft model's KV holds for this slot
  int n_ctx = 0;                    // limit for this request
  uint64_t last_used = 0;
  double t_start = 0, t_first = 0;
  Utf8Buffer utf8;
  std::unique_ptr<StopMatcher> stops;
  std::vector<llama_token> preserved;  // special tokens emitted as text
  Completion out;
};

// ---------------------------------------------------------------- Engine

void Engine::BatchDeleter::operator()(llama_batch* b) const {
  llama_batch_free(*b);
  delete b;
}

std::unique_ptr<Engine> Engine::create(const Model& model, const EngineParams& params, Error* err) {
  backend_init();
  if (params.n_slots < 1 || params.n_slots > 64) {
    *err = Error(ErrorKind::bad_request, "n_slots must be between 1 and 64");
    return nullptr;
  }
  llama_context_params cp = llama_context_default_params();
  cp.n_seq_max = static_cast<uint32_t>(params.n_slots);
  cp.n_ctx = static_cast<uint32_t>(params.n_ctx_slot * params.n_slots);
  cp.n_batch = static_cast<uint32_t>(params.n_batch);
  cp.n_ubatch = static_cast<uint32_t>(std::min(params.n_batch, 512));
  // One KV stream per slot: each sequence attends only to its own cells, which is
  // what keeps 8 parallel slots as fast as llama-server's. Borrowing another slot's
  // prefix then costs a buffer copy (seq_cp across streams) instead of nothing.
  cp.kv_unified = false;
  int threads = params.n_threads > 0 ? params.n_threads : default_threads();
  cp.n_threads = threads;
  cp.n_threads_batch = threads;
  cp.no_perf = true;
  if (!kv_type_from_name(params.kv_type, &cp.type_k)) {
    *err = Error(ErrorKind::bad_request, "unknown KV-cache precision '" + params.kv_type + "'");
    return nullptr;
  }
  cp.type_v = cp.type_k;
  cp.flash_attn_type = params.flash_attn == "on"    ? LLAMA_FLASH_ATTN_TYPE_ENABLED
                       : params.flash_attn == "off" ? LLAMA_FLASH_ATTN_TYPE_DISABLED
                                                    : LLAMA_FLASH_ATTN_TYPE_AUTO;
  take_llama_errors();
  llama_context* ctx = llama_init_from_model(model.raw(), cp);
  if (!ctx) {
    std::string why = take_llama_errors();
    while (!why.empty() && why.back() == '\n') why.pop_back();
    size_t nl = why.find('\n');
    if (nl != std::string::npos) why.resize(nl);
    *err = Error(ErrorKind::internal, "cannot create a context for " + model.path() + (why.empty() ? "" : ": " + why));
    return nullptr;
  }
  std::unique_ptr<Engine> e(new Engine());
  e->model_ = &model;
  e->params_ = params;
  e->ctx_ = ctx;
  e->batch_.reset(new llama_batch(llama_batch_init(params.n_batch, 0, 1)));
  // Like llama-bench and llama-server: one threadpool kept for the context's life,
  // whose workers poll briefly between graphs instead of sleeping.
  ggml_threadpool_params tpp = ggml_threadpool_params_default(threads);
  e->threadpool_ = ggml_threadpool_new(&tpp);
  if (e->threadpool_) llama_attach_threadpool(ctx, e->threadpool_, nullptr);
  if (params.draft) {
    if (!draft_fits(model, *params.draft, err)) return nullptr;
    cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_AUTO;
    e->draft_ctx_ = llama_init_from_model(params.draft->raw(), cp);
    if (!e->draft_ctx_) {
      *err = Error(ErrorKind::internal, "cannot create a context for draft model " + params.draft->path());
      return nullptr;
    }
  }
  for (int i = 0; i < params.n_slots; ++i) {
    e->slots_.push_back(std::make_unique<Slot>());
    e->slots_.back()->id = i;
  }
  e->thread_ = std::thread([p = e.get()] { p->loop(); });
  return e;
}

Engine::~Engine() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (ctx_) llama_free(ctx_);
  if (draft_ctx_) llama_free(draft_ctx_);
  if (threadpool_) ggml_threadpool_free(threadpool_);
}

std::vector<int> Engine::tokenize(const std::string& text, bool add_special) const {
  const llama_vocab* vocab = model_->vocab();
  int n = -llama_tokenize(vocab, text.data(), static_cast<int32_t>(text.size()), nullptr, 0, add_special, true);
  std::vector<int> toks(static_cast<size_t>(std::max(n, 0)));
  if (n > 0) llama_tokenize(vocab, text.data(), static_cast<int32_t>(text.size()), toks.data(), n, add_special, true);
  return toks;
}

std::shared_ptr<Job> Engine::submit(Request req, TextCallback on_text, DoneCallback on_done) {
  auto job = std::make_shared<Job>();
  job->t_submit_ = now_ms();
  job->on_text_ = std::move(on_text);
  job->on_done_ = std::move(on_done);
  job->tokens_ = tokenize_prompt(model_->vocab(), req.prompt, req.text_spans, true);
  auto fail = [&](ErrorKind kind, const std::string& why) {
    Completion c;
    c.error = Error(kind, why);
    c.n_prompt = static_cast<int>(job->tokens_.size());
    job->finish(std::move(c));
    return job;
  };
  if (job->tokens_.empty()) return fail(ErrorKind::bad_request, "empty prompt");
  int limit = req.num_ctx > 0 ? std::min(req.num_ctx, params_.n_ctx_slot) : params_.n_ctx_slot;
  int n = static_cast<int>(job->tokens_.size());
  if (n >= limit) {
    if (!req.truncate)
      return fail(ErrorKind::prompt_too_long, "prompt is " + std::to_string(n) + " tokens but the context holds " + std::to_string(limit) +
                  " (raise num_ctx / --ctx-size, or allow truncation)");
    // Keep the first token (BOS / system start) and the most recent part; leave room to answer.
    int room = req.num_predict > 0 ? std::min(req.num_predict, limit / 2) : limit / 4;
    int keep = std::max(limit - room - 1, 1);
    std::vector<int> t;
    t.push_back(job->tokens_.front());
    t.insert(t.end(), job->tokens_.end() - keep, job->tokens_.end());
    job->tokens_ = std::move(t);
  }
  if (!req.sampling.grammar.empty()) {
    // Validate here so a bad grammar fails the request, not the engine thread.
    Error err;
    if (!Sampler::create(req.sampling, model_->vocab(), limit, &err)) return fail(err.kind, err.message);
  }
  job->req_ = std::move(req);
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (stopping_) return fail(ErrorKind::unavailable, "engine is shutting down");
    if (static_cast<int>(queue_.size()) >= params_.max_queue)
      return fail(ErrorKind::queue_full, "queue full: every slot is busy and " + std::to_string(params_.max_queue) +
                                             " requests are waiting");
    queue_.push_back(job);
  }
  cv_.notify_all();
  return job;
}

Completion Engine::generate(Request req, TextCallback on_text) { return submit(std::move(req), std::move(on_text))->wait(); }

EngineStats Engine::stats() const {
  EngineStats s;
  s.n_slots = params_.n_slots;
  s.slots_busy = busy_;
  {
    std::lock_guard<std::mutex> lk(mu_);
    s.queue_depth = static_cast<int>(queue_.size());
  }
  s.kv_cells_used = kv_used_;
  s.kv_cells_total = params_.n_ctx_slot * params_.n_slots;
  s.tokens_prompt = n_prompt_;
  s.tokens_cached = n_cached_;
  s.tokens_generated = n_generated_;
  s.tokens_drafted = n_drafted_;
  s.tokens_accepted = n_accepted_;
  return s;
}

void Engine::loop() {
  while (true) {
    {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk, [&] { return stopping_ || !queue_.empty() || busy_ > 0; });
      if (stopping_) break;
      assign_locked();
    }
    step();
  }
  // Shutting down: nothing more runs.
  std::deque<std::shared_ptr<Job>> left;
  {
    std::lock_guard<std::mutex> lk(mu_);
    left.swap(queue_);
  }
  for (auto& s : slots_)
    if (s->job) finish_slot(*s, FinishReason::cancelled);
  for (auto& j : left) {
    Completion c;
    c.ok = true;
    c.finish = FinishReason::cancelled;
    j->finish(c);
  }
}

void Engine::assign_locked() {
  while (!queue_.empty()) {
    std::shared_ptr<Job> job = queue_.front();
    if (job->cancelled_ || (job->req_.cancel && job->req_.cancel->load())) {
      queue_.pop_front();
      Completion c;
      c.ok = true;
      c.finish = FinishReason::cancelled;
      c.n_prompt = static_cast<int>(job->tokens_.size());
      job->finish(c);
      continue;
    }
    if (job->req_.prefill_only && held_by_a_slot(job->tokens_)) {
      queue_.pop_front();
      Completion c;
      c.ok = true;
      c.finish = FinishReason::stop;
      c.n_prompt = c.n_prompt_cached = static_cast<int>(job->tokens_.size());
      job->finish(c);
      continue;
    }
    // The free slot that already holds the longest prefix of this prompt; else the least recently used.
    Slot* best = nullptr;
    size_t best_prefix = 0;
    for (auto& s : slots_) {
      if (s->state != SlotState::idle) continue;
      size_t p = common_prefix(s->cache, job->tokens_);
      if (!best || p > best_prefix || (p == best_prefix && s->last_used < best->last_used)) {
        best = s.get();
        best_prefix = p;
      }
    }
    if (!best) return;  // all busy
    queue_.pop_front();
    start_slot(*best, job);
  }
}

int Engine::cached_prefix(const std::string& prompt, int* n_tokens) const {
  const std::vector<int> toks = tokenize_prompt(model_->vocab(), prompt, {}, true);
  if (n_tokens) *n_tokens = static_cast<int>(toks.size());
  std::lock_guard<std::mutex> lk(held_mu_);
  size_t best = 0;
  for (const auto& s : slots_) best = std::max(best, common_prefix(s->held, toks));
  return static_cast<int>(best);
}

bool Engine::held_by_a_slot(const std::vector<int>& tokens) const {
  for (const auto& s : slots_)
    if (s->cache.size() >= tokens.size() && common_prefix(s->cache, tokens) == tokens.size()) return true;
  return false;
}

void Engine::start_slot(Slot& s, std::shared_ptr<Job> job) {
  llama_memory_t mem = llama_get_memory(ctx_);
  const auto& toks = job->tokens_;
  // Reuse this slot's cache, or borrow a longer common prefix from another slot's.
  size_t keep = common_prefix(s.cache, toks);
  Slot* donor = nullptr;
  for (auto& o : slots_) {
    if (o.get() == &s) continue;
    size_t p = std::min(common_prefix(o->cache, toks), o->cache.size());
    if (p > keep + 16) {  // only worth it for a real prefix
      keep = p;
      donor = o.get();
    }
  }
  if (keep >= toks.size()) keep = toks.size() - 1;  // re-evaluate the last token to get logits
  if (donor) {
    // Across streams llama.cpp copies whole sequences; cut the copy back to the shared prefix.
    llama_memory_seq_rm(mem, s.id, -1, -1);
    llama_memory_seq_cp(mem, donor->id, s.id, -1, -1);
    llama_memory_seq_rm(mem, s.id, static_cast<llama_pos>(keep), -1);
    s.cache.assign(toks.begin(), toks.begin() + static_cast<long>(keep));
  } else {
    llama_memory_seq_rm(mem, s.id, static_cast<llama_pos>(keep), -1);
    s.cache.resize(keep);
  }

  {
    std::lock_guard<std::mutex> lk(held_mu_);
    s.held = toks;
  }
  s.job = std::move(job);
  s.state = SlotState::prompt;
  s.n_prompt_done = keep;
  s.last_used = ++use_counter_;
  s.t_start = now_ms();
  s.t_first = 0;
  s.utf8 = Utf8Buffer();
  s.stops = std::make_unique<StopMatcher>(s.job->req_.stop);
  const Request& r = s.job->req_;
  s.preserved = preserved_ids(model_->vocab(), r.preserved_tokens);
  s.n_ctx = r.num_ctx > 0 ? std::min(r.num_ctx, params_.n_ctx_slot) : params_.n_ctx_slot;
  s.out = Completion();
  s.out.slot = s.id;
  ++busy_;
  Error err;
  s.sampler = Sampler::create(r.sampling, model_->vocab(), s.n_ctx, &err);
  if (!s.sampler) return finish_slot(s, FinishReason::error, err);
  s.sampler->accept_prompt(toks);
  s.out.n_prompt = static_cast<int>(toks.size());
  s.out.n_prompt_cached = static_cast<int>(keep);
  s.out.queue_ms = s.t_start - s.job->t_submit_;
  n_cached_ += keep;
}

namespace {

int batch_add(llama_batch& batch, llama_token t, llama_pos pos, int seq, bool logits) {
  int i = batch.n_tokens++;
  batch.token[i] = t;
  batch.pos[i] = pos;
  batch.n_seq_id[i] = 1;
  batch.seq_id[i][0] = seq;
  batch.logits[i] = logits;
  return i;
}

}  // namespace

// Cancellations first: they free their slot before this step's work.
void Engine::finish_cancelled() {
  for (auto& sp : slots_) {
    Slot& s = *sp;
    if (s.state == SlotState::idle) continue;
    if (s.job->cancelled_ || (s.job->req_.cancel && s.job->req_.cancel->load())) finish_slot(s, FinishReason::cancelled);
  }
}

// One token for each generating slot (plus its draft's proposals).
void Engine::batch_generating(llama_batch& batch) {
  for (auto& sp : slots_) {
    Slot& s = *sp;
    s.batch_index = -1;
    s.drafted.clear();
    if (s.state != SlotState::generating || batch.n_tokens >= params_.n_batch) continue;
    s.batch_index = batch_add(batch, s.pending, static_cast<llama_pos>(s.cache.size()), s.id, true);
    if (!draft_ctx_) continue;
    int room = std::min(params_.n_draft, params_.n_batch - batch.n_tokens);
    room = std::min(room, s.n_ctx - static_cast<int>(s.cache.size()) - 2);
    const Request& r = s.job->req_;
    if (r.num_predict >= 0) room = std::min(room, r.num_predict - s.out.n_generated - 1);
    if (room > 0) s.drafted = draft_tokens(s, room);
    for (size_t k = 0; k < s.drafted.size(); ++k)
      batch_add(batch, s.drafted[k], static_cast<llama_pos>(s.cache.size() + 1 + k), s.id, true);
  }
}

// Prompt chunks with what is left of the batch: (slot, tokens taken) each.
std::vector<std::pair<Engine::Slot*, size_t>> Engine::batch_prompts(llama_batch& batch) {
  std::vector<std::pair<Slot*, size_t>> chunks;
  for (auto& sp : slots_) {
    Slot& s = *sp;
    if (s.state != SlotState::prompt) continue;
    const auto& toks = s.job->tokens_;
    size_t room = static_cast<size_t>(params_.n_batch - batch.n_tokens);
    size_t take = std::min(toks.size() - s.n_prompt_done, room);
    if (s.job->req_.max_step_tokens > 0) take = std::min(take, static_cast<size_t>(s.job->req_.max_step_tokens));
    if (take == 0) continue;
    for (size_t k = 0; k < take; ++k) {
      size_t at = s.n_prompt_done + k;
      bool last = at + 1 == toks.size();
      int i = batch_add(batch, toks[at], static_cast<llama_pos>(at), s.id, last);
      if (last) s.batch_index = i;
    }
    chunks.emplace_back(&s, take);
  }
  return chunks;
}

// Picks the slot's next token(s) from this step's logits. Without a draft this
// runs once. With one, position i's logits decide token i+1; a drafted token is
// kept only if it is what the model picked.
void Engine::sample_slot(Slot& s) {
  const std::vector<llama_token> drafted = s.drafted;
  s.out.n_drafted += static_cast<int>(drafted.size());  // before: the slot may finish in the loop
  n_drafted_ += drafted.size();
  for (size_t i = 0; i <= drafted.size(); ++i) {
    llama_token tok = 0;
    try {
      tok = s.sampler->sample(ctx_, s.batch_index + static_cast<int>(i));
    } catch (const std::exception& e) {
      // A grammar that reaches a dead end ends this request, never the engine.
      finish_slot(s, FinishReason::error, Error(ErrorKind::internal, std::string("sampling failed: ") + e.what()));
      break;
    }
    emit_token(s, tok);
    if (s.state != SlotState::generating || i == drafted.size() || tok != drafted[i]) break;
    s.cache.push_back(tok);  // its KV was computed in this batch
    ++s.out.n_accepted;
    ++n_accepted_;
  }
  if (!drafted.empty()) {
    // Forget the KV of rejected proposals.
    llama_memory_seq_rm(llama_get_memory(ctx_), s.id, static_cast<llama_pos>(s.cache.size()), -1);
  }
}

bool Engine::step() {
  finish_cancelled();
  llama_batch& batch = *batch_;
  batch.n_tokens = 0;
  batch_generating(batch);
  const std::vector<std::pair<Slot*, size_t>> chunks = batch_prompts(batch);
  if (batch.n_tokens == 0) return false;

  int rc = llama_decode(ctx_, batch);
  if (rc != 0) {
    Error why(ErrorKind::internal,
              rc == 1 ? "KV cache is full" : "decode failed (llama_decode returned " + std::to_string(rc) + ")");
    for (auto& sp : slots_)
      if (sp->state != SlotState::idle) finish_slot(*sp, FinishReason::error, why);
    return false;
  }

  for (auto& [s, take] : chunks) {
    const auto& toks = s->job->tokens_;
    s->cache.insert(s->cache.end(), toks.begin() + static_cast<long>(s->n_prompt_done),
                    toks.begin() + static_cast<long>(s->n_prompt_done + take));
    s->n_prompt_done += take;
    n_prompt_ += take;
  }
  bool synced = false;
  for (auto& sp : slots_) {
    Slot& s = *sp;
    if (s.batch_index < 0) continue;
    if (s.state == SlotState::generating) {
      s.cache.push_back(s.pending);
    } else if (s.state == SlotState::prompt) {
      // On a GPU llama_decode returns before the batch is computed: the prompt's
      // time is taken once it is (on a CPU this returns at once).
      if (!synced) llama_synchronize(ctx_);
      synced = true;
      s.out.prompt_ms = now_ms() - s.t_start;
      s.state = SlotState::generating;
      if (s.job->req_.prefill_only) {
        finish_slot(s, FinishReason::stop);  // the KV stays: that was the point
        continue;
      }
    }
    sample_slot(s);
  }
  int used = 0;
  for (auto& sp : slots_) used += static_cast<int>(sp->cache.size());
  kv_used_ = used;
  return true;
}

void Engine::emit_token(Slot& s, llama_token tok) {
  const llama_vocab* vocab = model_->vocab();
  if (s.t_first == 0) {
    s.t_first = now_ms();
    s.out.ttft_ms = s.t_first - s.job->t_submit_;
  }
  if (llama_vocab_is_eog(vocab, tok)) return finish_slot(s, FinishReason::stop);
  ++s.out.n_generated;
  ++n_generated_;
  bool hit = false;
  const bool special = std::find(s.preserved.begin(), s.preserved.end(), tok) != s.preserved.end();
  std::string text = s.stops->push(s.utf8.push(token_piece(vocab, tok, special)), &hit);
  if (!text.empty()) {
    s.out.text += text;
    if (s.job->on_text_ && !s.job->on_text_(text)) return finish_slot(s, FinishReason::cancelled);
  }
  if (hit) return finish_slot(s, FinishReason::stop);
  const Request& r = s.job->req_;
  if (r.num_predict >= 0 && s.out.n_generated >= r.num_predict) return finish_slot(s, FinishReason::length);
  if (static_cast<int>(s.cache.size()) + 1 >= s.n_ctx) return finish_slot(s, FinishReason::length);
  s.pending = tok;
}

std::vector<llama_token> Engine::draft_tokens(Slot& s, int max_tokens) {
  // Bring the draft's KV for this slot in line with the main cache + pending token.
  llama_memory_t mem = llama_get_memory(draft_ctx_);
  std::vector<llama_token> want = s.cache;
  want.push_back(s.pending);
  size_t keep = common_prefix(s.draft_cache, want);
  if (keep == want.size()) --keep;  // re-evaluate the last token for fresh logits
  llama_memory_seq_rm(mem, s.id, static_cast<llama_pos>(keep), -1);
  s.draft_cache.resize(keep);
  std::vector<llama_token> out;
  llama_batch batch = llama_batch_init(std::max(params_.n_batch, 1), 0, 1);
  auto decode = [&](const llama_token* toks, size_t n, size_t pos0) {
    for (size_t off = 0; off < n;) {
      size_t take = std::min(n - off, static_cast<size_t>(params_.n_batch));
      batch.n_tokens = 0;
      for (size_t k = 0; k < take; ++k) {
        int i = batch.n_tokens++;
        batch.token[i] = toks[off + k];
        batch.pos[i] = static_cast<llama_pos>(pos0 + off + k);
        batch.n_seq_id[i] = 1;
        batch.seq_id[i][0] = s.id;
        batch.logits[i] = off + k + 1 == n;
      }
      if (llama_decode(draft_ctx_, batch) != 0) return false;
      off += take;
    }
    return true;
  };
  bool ok = decode(want.data() + keep, want.size() - keep, keep);
  if (ok) s.draft_cache = want;
  const llama_vocab* vocab = params_.draft->vocab();
  const int n_vocab = llama_vocab_n_tokens(vocab);
  while (ok && static_cast<int>(out.size()) < max_tokens) {
    // Greedy proposals: the main model's own sampler decides what is kept.
    llama_token best = argmax(llama_get_logits_ith(draft_ctx_, -1), n_vocab);
    if (llama_vocab_is_eog(vocab, best)) break;
    out.push_back(best);
    if (static_cast<int>(out.size()) == max_tokens) break;
    ok = decode(&best, 1, s.draft_cache.size());
    if (ok) s.draft_cache.push_back(best);
  }
  llama_batch_free(batch);
  return out;
}

void Engine::finish_slot(Slot& s, FinishReason why, Error error) {
  Completion c = std::move(s.out);
  c.finish = why;
  c.ok = why != FinishReason::error;
  c.error = std::move(error);
  if (why != FinishReason::cancelled && why != FinishReason::error) {
    // Text held back for a stop string that never completed, or a dangling partial character.
    bool hit = false;
    std::string tail = s.stops->push(s.utf8.flush(), &hit);
    if (!hit) tail += s.stops->flush();
    if (!tail.empty()) {
      c.text += tail;
      if (s.job->on_text_) s.job->on_text_(tail);
    }
  }
  if (s.t_first > 0) c.generate_ms = now_ms() - s.t_first;
  if (why == FinishReason::error) {
    // After a failed decode the KV contents are unknown: forget this sequence.
    llama_memory_seq_rm(llama_get_memory(ctx_), s.id, -1, -1);
    s.cache.clear();
  }
  if (why == FinishReason::cancelled || why == FinishReason::error) {
    std::lock_guard<std::mutex> lk(held_mu_);
    s.held.assign(s.cache.begin(), s.cache.end());  // its prompt may not be all in
  }
  std::shared_ptr<Job> job = std::move(s.job);
  s.job.reset();
  s.sampler.reset();
  s.state = SlotState::idle;
  s.batch_index = -1;
  --busy_;
  job->finish(std::move(c));
}

}  // namespace owlet::llm
