// `owlet serve`: the Ollama API, the OpenAI API and owlet's own endpoints over
// HTTP, on one ModelManager. Binds 127.0.0.1 by default.
//
//   Server s(opts, models);
//   if (!s.start(&err)) ...;   // listens in background threads
//   s.wait();                  // until stop() (e.g. from SIGTERM)
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "llm/model_manager.h"
#include "models/pull.h"
#include "obs/metrics.h"
#include "server/model_name_policy.h"

namespace owlet::kb {
class KnowledgeBase;
}
namespace owlet::web {
class HttpClient;
}
namespace owlet::answer {
class Pipeline;
}

namespace owlet::server {

// The Ollama API version owlet speaks, reported by /api/version: clients that
// gate features on a minimum Ollama version (Continue >= 0.6.5, Raycast >=
// 0.6.4, ...) compare against this; owlet's own version is a field beside it.
inline constexpr const char* kOllamaApiVersion = "0.12.6";

// What the server serves besides models; each may be null (its endpoints then
// answer 503 saying what is not configured).
struct ServerServices {
  answer::Pipeline* pipeline = nullptr;  // /api/answer and grounded chat; null = plain chat
  kb::KnowledgeBase* kb = nullptr;       // /api/ingest, /api/kb/stats, /api/kb/search
  web::HttpClient* http = nullptr;       // /api/ingest of a URL (SSRF-guarded fetch)
  // Experiments: the pipeline (and arm name) for a client id, sticky; null =
  // always `pipeline`, no arm. Must not return null when `pipeline` is set.
  std::function<answer::Pipeline*(const std::string& client_id, std::string* arm)> choose_pipeline = nullptr;
  // The metrics registry /metrics renders; null = the server's own. The
  // composition root passes the one the pipeline records into.
  obs::Metrics* metrics = nullptr;
};

// A model served under its own name besides the store's (a file given by path,
// an hf:// reference): /api/tags, /v1/models and /api/ps list it like a store model.
struct ServedModel {
  std::string name;    // what clients list and send
  std::string path;    // the GGUF file
  std::string digest;  // "sha256:<hex>"
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 11435;                  // 0 = pick a free port (tests)
  std::string api_key;               // when set, every endpoint but /health needs "Authorization: Bearer <key>"
  // Browser origins answered besides the served UI and loopback pages (like
  // OLLAMA_ORIGINS: exact, globs such as "https://*.example.com", "*" = any); every
  // other request with an Origin header gets 403 (intake.h).
  std::vector<std::string> allowed_origins;
  // Host header names answered besides IP literals, localhost and this machine's name.
  std::vector<std::string> allowed_hosts;
  size_t max_body_bytes = 16 << 20;  // larger bodies get 413, counted after decompression
  // Model names over the API (model_name_policy.h): registries they may come
  // from, names the operator configured that may be file paths (default_model is
  // always one), and whether /api/pull may be "insecure".
  std::vector<std::string> allowed_registries = default_registries();
  std::vector<std::string> local_models;
  bool allow_insecure_registries = false;
  // Base options of /api/pull (a registry mirror, a store directory); its SSRF
  // policy is the page fetcher's (ServerServices::http) when one is given.
  models::PullOptions pull;
  int threads = 64;                  // HTTP worker threads (a generating request holds one)
  int read_timeout_s = 30;           // a client that sends too slowly is dropped
  std::string default_model;         // used when a request names none (OpenAI clients often do)
  std::vector<ServedModel> served_models;  // listed besides the store's models
  bool ground_chat = true;           // chat APIs answer through the pipeline (when one is given)
  bool sources_block = false;        // grounded chat text ends with a "Sources:" block
  std::string version = "0.1.0";     // owlet's own (/api/version's owlet_version)
};

class Server {
 public:
  Server(ServerOptions opts, llm::ModelManager& models, ServerServices services = {});
  ~Server();
  bool start(Error* err);  // unavailable when the address cannot be bound
  int port() const { return port_; }
  // New requests get 503 from now on; running ones get `grace_ms` to finish,
  // then are cancelled (streams end with done_reason "shutdown").
  void stop(int grace_ms = 5000);
  void wait();
  obs::Metrics& metrics();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace owlet::server
