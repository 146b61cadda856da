// Shared state of the HTTP handlers (internal to src/server).
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <deque>
#include <set>
#include <string>
#include <unordered_map>

#include "answer/pipeline.h"
#include "server/chat_service.h"
#include "server/chunk_stream.h"
#include "server/http_status.h"
#include "server/intake_server.h"
#include "server/server.h"

namespace owlet::server {

struct Server::Impl {
  Impl(ServerOptions o, llm::ModelManager& m, ServerServices sv)
      : opts(std::move(o)), services(sv), models(m), metrics(sv.metrics ? *sv.metrics : own_metrics),
        chat(m, metrics) {}
  ServerOptions opts;
  ServerServices services;
  llm::ModelManager& models;
  obs::Metrics own_metrics;  // used when the composition root gives none
  obs::Metrics& metrics;
  ChatService chat;
  IntakePolicy intake;  // from opts, in start()
  IntakeServer http;
  std::thread thread;
  std::atomic<bool> stopping{false};
  std::atomic<int> in_flight{0};
  // Running work (generations, answers, pulls), streamed or not: waited for
  // during the grace period of a shutdown, then cancelled.
  std::mutex work_mu;
  std::condition_variable work_cv;
  std::set<std::shared_ptr<ChunkStream>> running;
  // Arms of recent answers, for POST /api/feedback: id -> arm, the oldest
  // forgotten first past kMaxRemembered (feedback comes soon after an answer).
  static constexpr size_t kMaxRemembered = 100000;
  std::mutex answered_mu;
  std::unordered_map<std::string, std::string> answered;
  std::deque<std::string> answered_order;

  // A new piece of running work, and its end (after the stream's finish()).
  std::shared_ptr<ChunkStream> begin_work() {
    auto st = std::make_shared<ChunkStream>();
    std::lock_guard<std::mutex> lk(work_mu);
    running.insert(st);
    return st;
  }
  void end_work(const std::shared_ptr<ChunkStream>& st) {
    {
      std::lock_guard<std::mutex> lk(work_mu);
      running.erase(st);
    }
    work_cv.notify_all();
  }
};

using Req = httplib::Request;
using Res = httplib::Response;

void send_json(Res& res, int status, const json& body);
// {"error": message} with the status of its kind (503 adds Retry-After).
void send_error(Res& res, const Error& err);
void send_error(Res& res, ErrorKind kind, const std::string& message);
// OpenAI's error shape: {"error": {"message", "type", "param", "code"}}.
void send_openai_error(Res& res, const Error& err);
void send_openai_error(Res& res, ErrorKind kind, const std::string& message);
// RFC 3339 with nanoseconds, UTC, as Ollama writes created_at.
std::string rfc3339_now();
std::string rfc3339(std::chrono::system_clock::time_point t);
long long ns_since(std::chrono::steady_clock::time_point t);
// Records generated tokens and timings for /metrics.
void record_completion(obs::Metrics& m, const std::string& api, const llm::Completion& c);
// Ollama's done_reason / OpenAI's finish_reason: "stop", "length", and for a
// generation cut short "cancelled" ("shutdown" when the server is stopping).
const char* finish_reason_name(const Server::Impl& s, llm::FinishReason f);

// generation.cpp: one chat generation per request, formatted per API.
struct GenerationFormat {
  // One piece of the output as the template's parser read it: reasoning,
  // answer text or part of a tool call ("" = nothing to send for it).
  std::function<std::string(const llm::MessageDelta& d)> delta;
  // The last bytes: the final object (c.ok) or an error line (!c.ok). The
  // parsed output is run.parser->message().
  std::function<std::string(const llm::Completion& c, const ChatRun& run)> done;
};
// Starts the generation and streams it through fmt; when it cannot start
// (unknown model, prompt too long, queue full) answers with that error instead.
void stream_generation(Server::Impl& s, Res& res, const ChatRequest& req, const char* content_type, bool openai,
                       GenerationFormat fmt);
// Runs a generation to its end for a unary response. False with run->error when
// it could not start; a generation that failed later has !out->ok. The parsed
// output is run->parser->message().
bool run_generation(Server::Impl& s, const ChatRequest& req, ChatRun* run, llm::Completion* out);

void register_ollama_routes(Server::Impl& s);  // generation and embeddings
void register_model_routes(Server::Impl& s);   // model_routes.cpp: tags, show, ps, delete, pull
void register_openai_routes(Server::Impl& s);
void register_answer_routes(Server::Impl& s);  // answer_api.cpp: POST /api/answer

// answer_api.cpp: answers through the pipeline, for /api/answer and grounded chat.
// Whether a chat request is answered through the pipeline (ServerOptions::ground_chat,
// per request `options.web` or an `owlet` object), and as what. Returns false when
// it is plain chat; *err set means a bad owlet/web field (answer 400).
// "cache": true | false, at the top level or in "owlet" (false: the answer
// cache is neither read nor written); false with *err when not a boolean.
bool parse_cache_field(const json& body, bool* use_cache, Error* err);
bool grounded_request(Server::Impl& s, const json& body, const ChatRequest& chat, answer::AnswerRequest* out,
                      Error* err);
// The answer's counts and timings in the engine's terms, so API formatters can share code.
llm::Completion completion_of(const answer::AnswerResult& r);
// "\n\nSources:\n[1] Title — url\n..." (ServerOptions::sources_block), "" without sources.
std::string sources_block(const answer::AnswerResult& r);
struct AnswerFormat {
  std::function<std::string(const answer::AnswerResult&)> route;  // once, before any text ("" = nothing)
  std::function<std::string(const std::string&)> text;
  std::function<std::string(const std::string&)> thinking;        // the model's reasoning (null = not streamed)
  std::function<std::string(const answer::AnswerResult&)> done;   // also for failures (check r.ok)
};
// Streams one answer: the pipeline runs on its own thread; a client that goes
// away, or the end of a shutdown's grace period, cancels it.
void stream_answer(Server::Impl& s, Res& res, answer::AnswerRequest req, const char* content_type, AnswerFormat fmt);
// Loads the answer's model (unless it answers extractively) so a bad name fails
// with its own status before any streaming; fills in the default model.
bool check_answer_model(Server::Impl& s, answer::AnswerRequest& req, Error* err);
// Runs one answer to the end on this thread (non-streamed responses).
answer::AnswerResult run_answer(Server::Impl& s, answer::AnswerRequest req);
// Who is asking, for sticky experiment arms: header X-Owlet-Client, else a hash
// of the Bearer token (unless it is the server's own shared key, which every
// client sends), else the remote address. Never the token itself.
std::string client_id_of(const Server::Impl& s, const Req& req);
void register_kb_routes(Server::Impl& s);      // kb_api.cpp: /api/ingest, /api/kb/*
void register_ui_routes(Server::Impl& s);      // web_ui.cpp: the chat UI's static files
void register_web_routes(Server::Impl& s);     // web_api.cpp: /api/web_search, /api/web_fetch

}  // namespace owlet::server
