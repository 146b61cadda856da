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
#include "server/server.h"

namespace owlet::server {

struct Server::Impl {
  Impl(ServerOptions o, llm::ModelManager& m, ServerServices sv)
      : opts(std::move(o)), services(sv), models(m), chat(m, metrics) {}
  ServerOptions opts;
  ServerServices services;
  llm::ModelManager& models;
  obs::Metrics metrics;
  ChatService chat;
  httplib::Server http;
  std::thread thread;
  std::atomic<bool> stopping{false};
  std::atomic<int> in_flight{0};
  std::mutex jobs_mu;
  std::set<std::shared_ptr<llm::Job>> jobs;  // running generations, cancelled on shutdown
  // Answers running through the pipeline: cancelled on shutdown, and waited
  // for, since their threads use the pipeline the server was given.
  std::condition_variable answers_cv;
  std::set<std::shared_ptr<std::atomic<bool>>> answers;  // their cancel flags
  // Arms of recent answers, for POST /api/feedback: id -> arm, the oldest
  // forgotten first past kMaxRemembered (feedback comes soon after an answer).
  static constexpr size_t kMaxRemembered = 100000;
  std::mutex answered_mu;
  std::unordered_map<std::string, std::string> answered;
  std::deque<std::string> answered_order;

  void track(const std::shared_ptr<llm::Job>& j) {
    std::lock_guard<std::mutex> lk(jobs_mu);
    jobs.insert(j);
  }
  void untrack(const std::shared_ptr<llm::Job>& j) {
    std::lock_guard<std::mutex> lk(jobs_mu);
    jobs.erase(j);
  }
};

using Req = httplib::Request;
using Res = httplib::Response;

void send_json(Res& res, int status, const json& body);
void send_error(Res& res, int status, const std::string& message);
// OpenAI's error shape: {"error": {"message", "type", "code"}}.
void send_openai_error(Res& res, int status, const std::string& message);
// RFC 3339 with nanoseconds, UTC, as Ollama writes created_at.
std::string rfc3339_now();
std::string rfc3339(std::chrono::system_clock::time_point t);
long long ns_since(std::chrono::steady_clock::time_point t);
// Records generated tokens and timings for /metrics.
void record_completion(obs::Metrics& m, const std::string& api, const llm::Completion& c);

// Streams a running generation: `piece` formats each text chunk (an NDJSON line,
// an SSE event), `tail` the closing bytes from the final Completion. A client
// that goes away cancels the generation and frees its slot.
void stream_response(Server::Impl& s, Res& res, std::shared_ptr<ChatRun> run, const char* content_type,
                     std::function<std::string(const std::string&)> piece,
                     std::function<std::string(const llm::Completion&)> tail);
// Waits for a non-streamed generation, cancelling it if the server shuts down.
llm::Completion wait_run(Server::Impl& s, ChatRun& run);

void register_ollama_routes(Server::Impl& s);
void register_openai_routes(Server::Impl& s);
void register_answer_routes(Server::Impl& s);  // answer_api.cpp: POST /api/answer

// answer_api.cpp: answers through the pipeline, for /api/answer and grounded chat.
// Whether a chat request is answered through the pipeline (ServerOptions::ground_chat,
// per request `options.web` or an `owlet` object), and as what. Returns false when
// it is plain chat; *err set means a bad owlet/web field (answer 400).
bool grounded_request(Server::Impl& s, const json& body, const ChatRequest& chat, answer::AnswerRequest* out,
                      std::string* err);
// The answer's counts and timings in the engine's terms, so API formatters can share code.
llm::Completion completion_of(const answer::AnswerResult& r);
// "\n\nSources:\n[1] Title — url\n..." (ServerOptions::sources_block), "" without sources.
std::string sources_block(const answer::AnswerResult& r);
struct AnswerFormat {
  std::function<std::string(const answer::AnswerResult&)> route;  // once, before any text ("" = nothing)
  std::function<std::string(const std::string&)> text;
  std::function<std::string(const answer::AnswerResult&)> done;   // also for failures (check r.ok)
};
// Streams one answer: the pipeline runs on its own thread; a client that goes
// away cancels it.
void stream_answer(Server::Impl& s, Res& res, answer::AnswerRequest req, const char* content_type, AnswerFormat fmt);
// Loads the answer's model (unless it answers extractively) so a bad name fails
// with its own status before any streaming; fills in the default model.
bool check_answer_model(Server::Impl& s, answer::AnswerRequest& req, int* status, std::string* err);
// Runs one answer to the end on this thread (non-streamed responses).
answer::AnswerResult run_answer(Server::Impl& s, answer::AnswerRequest req);
// Who is asking, for sticky experiment arms: header X-Owlet-Client, else a hash
// of the Bearer token (unless it is the server's own shared key, which every
// client sends), else the remote address. Never the token itself.
std::string client_id_of(const Server::Impl& s, const Req& req);
void register_kb_routes(Server::Impl& s);      // kb_api.cpp: /api/ingest, /api/kb/*
void register_ui_routes(Server::Impl& s);      // web_ui.cpp: the chat UI's static files

}  // namespace owlet::server
