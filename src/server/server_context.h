// Shared state of the HTTP handlers (internal to src/server).
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <string>

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
void register_kb_routes(Server::Impl& s);      // kb_api.cpp: /api/ingest, /api/kb/*
void register_ui_routes(Server::Impl& s);      // web_ui.cpp: the chat UI's static files

}  // namespace owlet::server
