#include "server/server.h"

#include "llm/backend.h"

#include <sys/socket.h>

#include <ctime>

#include "obs/log.h"
#include "server/server_context.h"

namespace owlet::server {

using Clock = std::chrono::steady_clock;

// Connections the kernel may hold complete before the accept thread takes them.
constexpr int kListenBacklog = 1024;

void send_json(Res& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json; charset=utf-8");
}

namespace {

void send_error_status(Res& res, int status, const std::string& message) {
  send_json(res, status, json{{"error", message}});
  if (status == 503) res.set_header("Retry-After", "1");
}

void send_openai_error_status(Res& res, int status, const std::string& message) {
  send_json(res, status,
            json{{"error", {{"message", message}, {"type", openai_error_type(status)}, {"param", nullptr}, {"code", nullptr}}}});
  if (status == 503) res.set_header("Retry-After", "1");
}

}  // namespace

void send_error(Res& res, const Error& err) { send_error_status(res, http_status(err.kind), err.message); }
void send_error(Res& res, ErrorKind kind, const std::string& message) { send_error(res, Error(kind, message)); }
void send_openai_error(Res& res, const Error& err) { send_openai_error_status(res, http_status(err.kind), err.message); }
void send_openai_error(Res& res, ErrorKind kind, const std::string& message) {
  send_openai_error(res, Error(kind, message));
}

const char* finish_reason_name(const Server::Impl& s, llm::FinishReason f) {
  switch (f) {
    case llm::FinishReason::length: return "length";
    case llm::FinishReason::cancelled: return s.stopping ? "shutdown" : "cancelled";
    default: return "stop";
  }
}

std::string rfc3339(std::chrono::system_clock::time_point t) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  time_t secs = static_cast<time_t>(ns / 1000000000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[96];
  snprintf(out, sizeof out, "%s.%09lldZ", buf, static_cast<long long>(ns % 1000000000));
  return out;
}

std::string rfc3339_now() { return rfc3339(std::chrono::system_clock::now()); }

long long ns_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t).count();
}

void record_completion(obs::Metrics& m, const std::string& api, const llm::Completion& c) {
  m.inc("owlet_prompt_tokens_total", "prompt tokens evaluated", {{"api", api}}, c.n_prompt - c.n_prompt_cached);
  m.inc("owlet_prompt_cached_tokens_total", "prompt tokens reused from the KV cache", {{"api", api}},
        c.n_prompt_cached);
  m.inc("owlet_generated_tokens_total", "tokens generated", {{"api", api}}, c.n_generated);
  if (c.n_drafted > 0) {  // speculative decoding: what the draft proposed and the model kept
    m.inc("owlet_draft_tokens_total", "tokens proposed by the draft model", {{"api", api}}, c.n_drafted);
    m.inc("owlet_draft_accepted_tokens_total", "draft tokens the model kept", {{"api", api}}, c.n_accepted);
  }
  if (c.generate_ms > 0 && c.n_generated > 1)
    m.observe("owlet_generation_tokens_per_second", "generation speed per request", {{"api", api}},
              (c.n_generated - 1) * 1000.0 / c.generate_ms, {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000});
  if (c.ttft_ms > 0)
    m.observe("owlet_time_to_first_token_seconds", "submit to first token", {{"api", api}}, c.ttft_ms / 1000.0,
              obs::Metrics::latency_buckets());
}

// web_ui.cpp: serves one embedded UI file; false when there is no such file.
bool serve_ui_file(const Req& req, Res& res, std::string_view path);

namespace {

thread_local Clock::time_point t_request_start;

// A bounded label set: unknown paths are "other" so a scanner cannot blow up /metrics.
std::string endpoint_label(const std::string& path) {
  static const char* known[] = {"/",           "/api/version",  "/api/tags",           "/api/show",
                                "/api/ps",     "/api/pull",     "/api/delete",         "/api/generate",
                                "/api/chat",   "/api/embed",    "/api/embeddings",     "/v1/models",
                                "/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/health",
                                "/metrics",    "/api/answer",   "/api/ingest",         "/api/kb/stats",
                                "/api/kb/search", "/api/feedback", "/api/cache", "/api/cache/clear", "/api/create",
                                "/api/copy"};
  for (const char* k : known)
    if (path == k) return k;
  if (path.rfind("/ui/", 0) == 0) return "/ui";
  return "other";
}

// The intake's policy, from the options: the operator's default model is always
// a name requests may use, even when it is a path.
IntakePolicy intake_policy(const ServerOptions& o) {
  IntakePolicy p;
  p.api_key = o.api_key;
  p.origins.allowed_origins = o.allowed_origins;
  p.origins.allowed_hosts = o.allowed_hosts;
  p.body.max_bytes = o.max_body_bytes;
  p.models.configured = o.local_models;
  if (!o.default_model.empty()) p.models.configured.push_back(o.default_model);
  p.models.registries = o.allowed_registries;
  p.models.allow_insecure = o.allow_insecure_registries;
  return p;
}

void send_refusal(const Req& req, Res& res, int status, const std::string& message) {
  if (req.path.rfind("/v1/", 0) == 0) send_openai_error_status(res, status, message);
  else send_error_status(res, status, message);
}

void register_common_routes(Server::Impl& s) {
  // Ollama clients probe "/" for "owlet is running"; a browser (which always
  // accepts text/html) gets the chat UI instead.
  s.http.Get("/", [](const Req& req, Res& res) {
    res.set_header("Vary", "Accept");
    if (req.get_header_value("Accept").find("text/html") != std::string::npos &&
        serve_ui_file(req, res, "index.html"))
      return;
    res.set_content("owlet is running", "text/plain");
  });
  s.http.Get("/health", [&s](const Req&, Res& res) {
    if (s.stopping) return send_json(res, 503, json{{"status", "stopping"}});
    if (s.models.loading_count() > 0) return send_json(res, 503, json{{"status", "loading"}});
    send_json(res, 200, json{{"status", "ok"}});
  });
  s.http.Get("/metrics", [&s](const Req&, Res& res) {
    double busy = 0, queue = 0, kv_used = 0, kv_total = 0;
    s.models.for_each_engine([&](const llm::Engine& e) {
      auto st = e.stats();
      busy += st.slots_busy;
      queue += st.queue_depth;
      kv_used += st.kv_cells_used;
      kv_total += st.kv_cells_total;
    });
    s.metrics.set("owlet_slots_busy", "sequences generating now", {}, busy);
    s.metrics.set("owlet_queue_depth", "requests waiting for a slot", {}, queue);
    s.metrics.set("owlet_kv_cache_used_ratio", "share of KV-cache cells in use", {},
                  kv_total > 0 ? kv_used / kv_total : 0);
    s.metrics.set("owlet_models_loaded", "models in memory", {}, static_cast<double>(s.models.loaded().size()));
    s.metrics.set("owlet_process_resident_memory_bytes", "resident set size", {}, obs::process_rss_bytes());
    s.metrics.set("owlet_http_in_flight_requests", "requests being served", {}, s.in_flight.load());
    // The brief's accelerator-memory figure (< 80 %), per GPU; absent in a CPU-only build.
    for (const auto& g : llm::accelerator_memory()) {
      s.metrics.set("owlet_accelerator_memory_used_bytes", "GPU memory in use", {{"device", g.name}},
                    static_cast<double>(g.total_bytes - g.free_bytes));
      s.metrics.set("owlet_accelerator_memory_total_bytes", "GPU memory in all", {{"device", g.name}},
                    static_cast<double>(g.total_bytes));
    }
    res.set_content(s.metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
  });
}

}  // namespace

Server::Server(ServerOptions opts, llm::ModelManager& models, ServerServices services)
    : impl_(std::make_unique<Impl>(std::move(opts), models, services)) {}

Server::~Server() { stop(0); }

obs::Metrics& Server::metrics() { return impl_->metrics; }

namespace {

// Socket options, timeouts and the thread pool. Returns where the listening
// socket's descriptor will be once bound.
std::shared_ptr<std::atomic<int>> configure_transport(Server::Impl& s) {
  auto& h = s.http;
  h.new_task_queue = [n = s.opts.threads] { return new httplib::ThreadPool(static_cast<size_t>(n)); };
  h.set_payload_max_length(s.opts.max_body_bytes);
  h.set_read_timeout(s.opts.read_timeout_s, 0);
  h.set_write_timeout(60, 0);
  h.set_keep_alive_max_count(1000);
  // Debian's cpp-httplib is a compiled library that listens with a backlog of
  // 5. Under a burst of new connections (every HTTP/1.1 client that does not
  // keep its connection alive opens one per request) the kernel's accept queue
  // overflows while the accept thread waits for a core, and a client whose
  // handshake completed but was never accepted gets its connection reset with
  // no response. The listening socket is captured here and given a real backlog
  // after bind (listen() again on a listening socket updates it).
  //
  // httplib's default options also set SO_REUSEPORT, which lets any other socket
  // of the same user that sets it too (another httplib server, a leaked probe)
  // bind the same port: the kernel then hands it half of owlet's connections,
  // which hang unanswered. owlet sets SO_REUSEADDR only (a restart still binds
  // past TIME_WAIT), so a port in use fails loudly at start instead.
  auto listen_fd = std::make_shared<std::atomic<int>>(-1);
  h.set_socket_options([listen_fd](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    *listen_fd = static_cast<int>(sock);
  });
  // Headers and body go out in separate writes: with Nagle's algorithm on, the
  // body waits for the peer's delayed ACK (~40 ms) on a kept-alive connection,
  // which a proxy in front (nginx, deploy/cluster) turns into every request's latency.
  h.set_tcp_nodelay(true);
  return listen_fd;
}

// The intake's head checks before routing, JSON bodies for httplib's own errors
// and exceptions, and the per-request log line and metrics.
void install_handlers(Server::Impl& s) {
  auto& h = s.http;
  s.intake = intake_policy(s.opts);
  h.set_intake(&s.intake, send_refusal);
  // Every request passes the intake's head checks (intake.h) before routing; routes
  // with a body read it through the intake too (IntakeServer).
  h.set_pre_routing_handler([&s](const Req& req, Res& res) {
    t_request_start = Clock::now();
    ++s.in_flight;
    HeadVerdict v = check_head(req, s.intake, s.stopping && req.path != "/health");
    for (const auto& [k, val] : v.headers) res.set_header(k, val);
    if (v.admitted()) return httplib::Server::HandlerResponse::Unhandled;
    if (v.status == 204) res.status = 204;
    else send_refusal(req, res, v.status, v.error);
    return httplib::Server::HandlerResponse::Handled;
  });
  h.set_error_handler([](const Req& req, Res& res) {
    // Errors httplib raises itself (unknown route, body too large…) still get a JSON body.
    if (!res.body.empty()) return;
    std::string msg = res.status == 404   ? "no such endpoint: " + req.method + " " + req.path
                      : res.status == 413 ? "request body too large"
                      : res.status == 405 ? "method not allowed"
                                          : "request failed (HTTP " + std::to_string(res.status) + ")";
    int status = res.status;
    send_error_status(res, status, msg);
  });
  h.set_exception_handler([](const Req&, Res& res, std::exception_ptr ep) {
    std::string msg = "internal error";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      msg = std::string("internal error: ") + e.what();
    } catch (...) {
    }
    send_error(res, ErrorKind::internal, msg);
  });
  h.set_logger([&s](const Req& req, const Res& res) {
    --s.in_flight;
    std::string ep = endpoint_label(req.path);
    s.metrics.inc("owlet_http_requests_total", "HTTP requests by endpoint and status",
                  {{"endpoint", ep}, {"status", std::to_string(res.status)}});
    double secs = std::chrono::duration<double>(Clock::now() - t_request_start).count();
    s.metrics.observe("owlet_http_request_duration_seconds", "HTTP request latency by endpoint", {{"endpoint", ep}},
                      secs, obs::Metrics::latency_buckets());
    obs::log(obs::LogLevel::info, "%s %s -> %d (%.1f ms)", req.method.c_str(), req.path.c_str(), res.status,
             secs * 1000);
  });
}

}  // namespace

bool Server::start(Error* err) {
  Impl& s = *impl_;
  auto& h = s.http;
  auto listen_fd = configure_transport(s);
  install_handlers(s);
  register_common_routes(s);
  register_ollama_routes(s);
  register_model_routes(s);
  register_openai_routes(s);
  register_answer_routes(s);
  register_kb_routes(s);
  register_web_routes(s);
  register_ui_routes(s);

  if (s.opts.port == 0) {
    port_ = h.bind_to_any_port(s.opts.host);
  } else {
    port_ = h.bind_to_port(s.opts.host, s.opts.port) ? s.opts.port : -1;
  }
  if (port_ > 0 && *listen_fd >= 0) ::listen(*listen_fd, kListenBacklog);
  if (port_ <= 0) {
    *err = Error(ErrorKind::unavailable,
                 "cannot listen on " + s.opts.host + ":" + std::to_string(s.opts.port) + " (in use, or not an address here)");
    return false;
  }
  s.thread = std::thread([&h] { h.listen_after_bind(); });
  return true;
}

void Server::stop(int grace_ms) {
  Impl& s = *impl_;
  if (s.stopping.exchange(true)) {
    if (s.thread.joinable()) s.thread.join();
    return;
  }
  // Running work gets the grace period to finish, then is cancelled: a cut
  // stream ends with done_reason "shutdown". Answer threads use the pipeline,
  // which outlives the server only until the caller destroys it, so they are
  // waited for (retrieval is deadline-bounded, generation stops within a
  // decode step of the cancel).
  {
    std::unique_lock<std::mutex> lk(s.work_mu);
    s.work_cv.wait_for(lk, std::chrono::milliseconds(std::max(grace_ms, 0)), [&] { return s.running.empty(); });
    for (const auto& w : s.running) w->cancel();
    s.work_cv.wait_for(lk, std::chrono::seconds(60), [&] { return s.running.empty(); });
  }
  s.http.stop();
  if (s.thread.joinable()) s.thread.join();
}

void Server::wait() {
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace owlet::server
