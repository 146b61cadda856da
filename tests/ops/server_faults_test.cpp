// Server-level faults over real loopback sockets: slow-loris clients and
// invalid UTF-8 in bodies, paths and headers. The server must keep serving
// everyone else, drop stalled clients after its read timeout, and answer bad
// bytes with a 400/404 whose body is valid JSON, never a crash.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "kb/knowledge_base.h"
#include "server/server.h"
#include "support/test_support.h"
#include "web/http_client.h"

using json = nlohmann::json;
using namespace owlet;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

constexpr int kReadTimeoutS = 2;
constexpr int kWorkers = 4;
// cpp-httplib's keep-alive wait (CPPHTTPLIB_KEEPALIVE_TIMEOUT_SECOND; the server does
// not change it): after a failed read the worker still waits this long for a next
// request on the connection before it is free.
constexpr int kKeepAliveS = 5;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// A server with a knowledge base and an HTTP client, so the kb endpoints parse
// their bodies instead of answering 503; no model is needed to reject bad input.
struct Running {
  test::TempDir tmp;
  std::unique_ptr<llm::ModelManager> models;
  std::unique_ptr<kb::KnowledgeBase> kb;
  std::unique_ptr<web::HttpClient> http;
  std::unique_ptr<server::Server> srv;

  Running() {
    llm::ModelManagerParams mp;
    mp.engine.n_threads = 1;
    models = std::make_unique<llm::ModelManager>(mp);
    owlet::Error err;
    kb = kb::KnowledgeBase::open((tmp.path() / "kb").string(), {}, &err);
    EXPECT_TRUE(kb) << err;
    http = std::make_unique<web::HttpClient>();
    server::ServerOptions so;
    so.port = 0;
    so.threads = kWorkers;
    so.read_timeout_s = kReadTimeoutS;
    server::ServerServices services;
    services.kb = kb.get();
    services.http = http.get();
    srv = std::make_unique<server::Server>(so, *models, services);
    EXPECT_TRUE(srv->start(&err)) << err;
  }
  ~Running() { srv->stop(0); }
  int port() const { return srv->port(); }
};

int connect_raw(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Seconds until the server closes `fd` (recv returns 0 or fails), up to `limit`; -1 if it never did.
double seconds_until_closed(int fd, double limit) {
  auto t0 = Clock::now();
  char buf[512];
  while (seconds_since(t0) < limit) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) > 0) {
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return seconds_since(t0);
    }
  }
  return -1;
}

TEST(ServerFaults, SlowLorisDoesNotBlockOthersAndIsDroppedAfterTheReadTimeout) {
  Running r;
  // The slow-loris client: a request line and headers, one byte per second.
  const std::string head = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: yes\r\n";
  int slow = connect_raw(r.port());
  ASSERT_GE(slow, 0);
  std::atomic<bool> trickling{true};
  std::atomic<int> sent{0};
  std::thread trickler([&] {
    for (size_t i = 0; i < head.size() && trickling; ++i) {
      if (send(slow, &head[i], 1, MSG_NOSIGNAL) != 1) break;
      ++sent;
      std::this_thread::sleep_for(1s);
    }
  });
  // While it trickles (longer than the read timeout in total), others are served promptly.
  std::this_thread::sleep_for(500ms);
  httplib::Client c("127.0.0.1", r.port());
  c.set_read_timeout(5, 0);
  double worst = 0;
  auto until = Clock::now() + std::chrono::seconds(kReadTimeoutS + 2);
  int served = 0;
  while (Clock::now() < until) {
    auto t = Clock::now();
    auto res = c.Get("/health");
    ASSERT_TRUE(res) << "a normal client was not served while a slow-loris client trickled";
    EXPECT_EQ(res->status, 200);
    worst = std::max(worst, seconds_since(t));
    ++served;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_LT(worst, 0.5) << "a normal request waited behind the slow-loris client";
  EXPECT_GT(served, 20);
  EXPECT_GE(sent.load(), kReadTimeoutS + 1) << "the trickle must outlast one read timeout to mean anything";
  RecordProperty("served_during_trickle", served);
  RecordProperty("worst_ms", static_cast<int>(worst * 1000));

  // The client stalls mid-header: the server drops it after its read timeout.
  trickling = false;
  trickler.join();
  double closed_after = seconds_until_closed(slow, kReadTimeoutS + 5);
  close(slow);
  EXPECT_GE(closed_after, 0) << "a stalled client was never dropped";
  EXPECT_LE(closed_after, kReadTimeoutS + 2.0);
  RecordProperty("stalled_dropped_after_ms", static_cast<int>(closed_after * 1000));

  auto res = c.Get("/health");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

// As many stalled clients as the server has workers: every worker is held, but
// only until the read timeout (plus httplib's keep-alive wait); a request queued
// behind them is then served.
TEST(ServerFaults, StalledClientsOnEveryWorkerDelayOthersOnlyUntilTheReadTimeout) {
  Running r;
  std::vector<int> stalled;
  for (int i = 0; i < kWorkers; ++i) {
    int fd = connect_raw(r.port());
    ASSERT_GE(fd, 0);
    const char* partial = "POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"mo";
    ASSERT_GT(send(fd, partial, strlen(partial), MSG_NOSIGNAL), 0);
    stalled.push_back(fd);
  }
  std::this_thread::sleep_for(200ms);
  httplib::Client c("127.0.0.1", r.port());
  c.set_read_timeout(kReadTimeoutS + kKeepAliveS + 8, 0);
  auto t = Clock::now();
  auto res = c.Get("/health");
  double waited = seconds_since(t);
  ASSERT_TRUE(res) << "request never served after the stalled clients timed out";
  EXPECT_EQ(res->status, 200);
  EXPECT_LE(waited, kReadTimeoutS + kKeepAliveS + 2.0);
  RecordProperty("waited_ms", static_cast<int>(waited * 1000));
  for (int fd : stalled) {
    EXPECT_GE(seconds_until_closed(fd, kReadTimeoutS + 3), 0) << "stalled body not dropped";
    close(fd);
  }
}

void expect_json_error(const httplib::Result& res, int status, const std::string& what) {
  ASSERT_TRUE(res) << what << ": no response (server down?)";
  EXPECT_EQ(res->status, status) << what << ": " << res->body;
  EXPECT_NE(res->get_header_value("Content-Type").find("application/json"), std::string::npos) << what;
  json j = json::parse(res->body, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << what << ": error body is not valid JSON: " << res->body;
  // Ollama-style {"error": "..."} or OpenAI-style {"error": {"message": "..."}}.
  ASSERT_TRUE(j.contains("error")) << what << ": " << res->body;
  bool has_text = j["error"].is_string() || (j["error"].is_object() && j["error"]["message"].is_string());
  EXPECT_TRUE(has_text) << what << ": " << res->body;
}

TEST(ServerFaults, InvalidUtf8InBodiesGets400WithAJsonError) {
  Running r;
  httplib::Client c("127.0.0.1", r.port());
  c.set_read_timeout(10, 0);
  // Raw ill-formed bytes, a truncated sequence, an overlong encoding, a UTF-16
  // surrogate encoded in UTF-8, and lone surrogate escapes.
  const std::vector<std::string> bodies = {
      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"bad \xff\xfe bytes\"}]}",
      "{\"model\":\"m\",\"prompt\":\"cut \xe4\xb8\"}",
      "{\"model\":\"m\",\"prompt\":\"overlong \xc0\xaf\"}",
      "{\"model\":\"m\",\"input\":\"surrogate \xed\xa0\x80\"}",
      "{\"model\":\"m\",\"prompt\":\"lone \\ud800 escape\"}",
      "{\"model\":\"\xff\"}",
      "{\"\xfe\":1}",
  };
  struct Endpoint {
    const char* method;
    const char* path;
  };
  const std::vector<Endpoint> endpoints = {
      {"POST", "/api/chat"},   {"POST", "/api/generate"},       {"POST", "/api/embed"},
      {"POST", "/api/embeddings"}, {"POST", "/api/show"},       {"POST", "/api/pull"},
      {"DELETE", "/api/delete"}, {"POST", "/v1/chat/completions"}, {"POST", "/v1/completions"},
      {"POST", "/v1/embeddings"}, {"POST", "/api/ingest"},
  };
  int cases = 0;
  for (const auto& ep : endpoints) {
    for (size_t b = 0; b < bodies.size(); ++b) {
      std::string what = std::string(ep.method) + " " + ep.path + " body " + std::to_string(b);
      httplib::Result res = std::string(ep.method) == "DELETE"
                                ? c.Delete(ep.path, bodies[b], "application/json")
                                : c.Post(ep.path, bodies[b], "application/json");
      expect_json_error(res, 400, what);
      ++cases;
    }
  }
  RecordProperty("cases", cases);
  auto h = c.Get("/health");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
}

TEST(ServerFaults, InvalidUtf8InPathsQueriesAndHeadersNeverBreaksTheJson) {
  Running r;
  // Raw bytes on the wire: httplib::Client would percent-encode the path.
  auto raw = [&](const std::string& request) {
    int fd = connect_raw(r.port());
    EXPECT_GE(fd, 0);
    send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    std::string resp;
    char buf[4096];
    auto t0 = Clock::now();
    while (seconds_since(t0) < 5) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 200) <= 0) continue;
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      resp.append(buf, static_cast<size_t>(n));
    }
    close(fd);
    return resp;
  };
  const std::vector<std::string> requests = {
      "GET /api/\xff\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      "GET /api/kb/search?q=\xff%FF%C0%AF HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      "GET /api/tags HTTP/1.1\r\nHost: x\r\nX-Bad: \xff\xfe\xc3\r\nConnection: close\r\n\r\n",
      "GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\r\nConnection: close\r\n\r\n",
  };
  for (const auto& q : requests) {
    std::string resp = raw(q);
    ASSERT_FALSE(resp.empty()) << "no response to: " << q;
    size_t body_at = resp.find("\r\n\r\n");
    ASSERT_NE(body_at, std::string::npos) << resp;
    int status = std::atoi(resp.c_str() + resp.find(' ') + 1);
    EXPECT_LT(status, 500) << q << " -> " << resp;
    std::string body = resp.substr(body_at + 4);
    if (resp.find("application/json") != std::string::npos) {
      EXPECT_FALSE(json::parse(body, nullptr, false).is_discarded()) << "invalid JSON for " << q << ": " << body;
    }
  }
  httplib::Client c("127.0.0.1", r.port());
  auto h = c.Get("/health");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
}

}  // namespace
