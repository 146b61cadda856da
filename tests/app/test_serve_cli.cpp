// `owlet serve` as a process: it comes up, answers, and drains on SIGTERM.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "support/test_support.h"

using namespace std::chrono_literals;

TEST(ServeCli, SigtermDrainsAndExitsCleanly) {
  owlet::test::TempDir home;
  int port = owlet::test::free_port();
  std::string model = owlet::test::fixture_model("qwen2-tiny");
  pid_t pid = fork();
  if (pid == 0) {
    setenv("HOME", home.path().c_str(), 1);
    setenv("OWLET_WEB", "never", 1);  // grounded in the local knowledge base only: no network here
    execl(OWLET_BINARY, OWLET_BINARY, "serve", "--port", std::to_string(port).c_str(), "--model", model.c_str(),
          "--threads", "2", "--parallel", "1", "--grace", "2", static_cast<char*>(nullptr));
    _exit(127);
  }
  httplib::Client c("127.0.0.1", port);
  bool up = false;
  for (int i = 0; i < 200 && !up; ++i) {
    auto r = c.Get("/health");
    up = r && r->status == 200;
    if (!up) std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(up);
  // A long streaming generation is running when SIGTERM arrives.
  std::string body = R"({"model":")" + model + R"(","messages":[{"role":"user","content":"go"}],"options":{"num_predict":100000}})";
  std::string streamed;
  std::mutex mu;
  std::thread client([&] {
    httplib::Client s("127.0.0.1", port);
    s.set_read_timeout(60, 0);
    httplib::Request req;
    req.method = "POST";
    req.path = "/api/chat";
    req.body = body;
    req.set_header("Content-Type", "application/json");
    req.content_receiver = [&](const char* d, size_t n, uint64_t, uint64_t) {
      std::lock_guard<std::mutex> lk(mu);
      streamed.append(d, n);
      return true;
    };
    s.send(req);
  });
  // SIGTERM only once the generation is really streaming.
  ASSERT_TRUE(owlet::test::wait_until([&] {
    std::lock_guard<std::mutex> lk(mu);
    return streamed.find("\"content\"") != std::string::npos;
  })) << "no tokens streamed";
  auto t0 = std::chrono::steady_clock::now();
  kill(pid, SIGTERM);
  // During the grace period new requests are refused with 503 (the running one goes on).
  EXPECT_TRUE(owlet::test::wait_until([&] {
    auto r = c.Get("/api/version");
    return r && r->status == 503 && !r->get_header_value("Retry-After").empty();
  }, 2s)) << "a new request during the grace period was not refused";
  int status = 0;
  waitpid(pid, &status, 0);
  auto took = std::chrono::steady_clock::now() - t0;
  client.join();
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_LT(took, 10s);  // grace 2 s, then the generation is cancelled
  // The stream ended properly: its last line is the final object.
  ASSERT_FALSE(streamed.empty());
  std::string last = streamed.substr(streamed.rfind('\n', streamed.size() - 2) + 1);
  EXPECT_NE(last.find("\"done\":true"), std::string::npos) << last;
  // Cut at the end of the grace period, and saying so.
  EXPECT_NE(last.find("\"done_reason\":\"shutdown\""), std::string::npos) << last;
}

TEST(ServeCli, SecretsNeverReachTheLogs) {
  owlet::test::TempDir home;
  int port = owlet::test::free_port();
  std::string model = owlet::test::fixture_model("qwen2-tiny");
  std::string log = (home.path() / "serve.log").string();
  pid_t pid = fork();
  if (pid == 0) {
    setenv("HOME", home.path().c_str(), 1);
    setenv("OWLET_WEB", "never", 1);
    setenv("OWLET_LOG_LEVEL", "debug", 1);  // the most the server ever writes
    freopen(log.c_str(), "w", stderr);
    execl(OWLET_BINARY, OWLET_BINARY, "serve", "--port", std::to_string(port).c_str(), "--model", model.c_str(),
          "--threads", "2", "--api-key", "s3cr3t-key-123", static_cast<char*>(nullptr));
    _exit(127);
  }
  httplib::Client c("127.0.0.1", port);
  bool up = false;
  for (int i = 0; i < 200 && !up; ++i) {
    auto r = c.Get("/health");
    up = r && r->status == 200;
    if (!up) std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(up);
  httplib::Headers good = {{"Authorization", "Bearer s3cr3t-key-123"}};
  httplib::Headers bad = {{"Authorization", "Bearer wrong-token-456"}};
  EXPECT_EQ(c.Get("/api/tags", good)->status, 200);
  EXPECT_EQ(c.Get("/api/tags", bad)->status, 401);
  EXPECT_EQ(c.Get("/api/tags?key=s3cr3t-key-123", bad)->status, 401);
  auto a = c.Post("/api/answer", good, R"({"question":"Why do owls hoot?","stream":false,"options":{"num_predict":3}})",
                  "application/json");
  EXPECT_EQ(a->status, 200) << a->body;
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  std::string text = owlet::test::read_file(log);
  EXPECT_NE(text.find("/api/tags"), std::string::npos) << "requests are logged:\n" << text;
  EXPECT_EQ(text.find("s3cr3t-key-123"), std::string::npos) << text;
  EXPECT_EQ(text.find("wrong-token-456"), std::string::npos) << text;
  EXPECT_EQ(text.find("Bearer"), std::string::npos) << text;
}
