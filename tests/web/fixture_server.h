// Loopback servers for the web tests: an in-process HTTP/1.1 server (cpp-httplib
// behind a small interface, so test files compile fast) and a child-process
// server (nghttpd for HTTP/2). Every server binds 127.0.0.x only.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "support/test_support.h"  // free_port

namespace owlet::web::test {

struct FixtureRequest {
  std::string method;
  std::string path;    // as sent (absolute-form when we are a proxy)
  std::multimap<std::string, std::string> params;  // query / form parameters
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  std::string header(const std::string& name) const;  // case-insensitive, "" if absent
  std::string param(const std::string& name) const;
};

struct FixtureResponse {
  int status = 200;
  std::string content_type = "text/html; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds delay{0};  // sleep before answering (stops early on shutdown)
  // When set, the body is streamed chunked: called repeatedly, return false to end.
  std::function<bool(std::string& chunk)> stream;
};

using FixtureHandler = std::function<FixtureResponse(const FixtureRequest&)>;

class FixtureServer {
 public:
  explicit FixtureServer(std::string bind_host = "127.0.0.1");
  ~FixtureServer();
  FixtureServer(const FixtureServer&) = delete;
  FixtureServer& operator=(const FixtureServer&) = delete;

  // `pattern` is a regex over the path (cpp-httplib semantics). Register before start().
  void route(const std::string& method, const std::string& pattern, FixtureHandler handler);
  void start();
  void stop();

  int port() const { return port_; }
  const std::string& host() const { return host_; }
  std::string url(const std::string& path = "/") const;
  int hits() const { return hits_.load(); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string host_;
  int port_ = 0;
  std::atomic<int> hits_{0};
};

// A server run as a child process (nghttpd, ...); killed on destruction.
class ChildServer {
 public:
  ChildServer() = default;
  ~ChildServer();
  ChildServer(const ChildServer&) = delete;
  ChildServer& operator=(const ChildServer&) = delete;
  // Starts argv and waits until 127.0.0.1:port accepts connections.
  bool start(const std::vector<std::string>& argv, int port, std::chrono::milliseconds wait = std::chrono::seconds(5));
  void stop();

 private:
  int pid_ = -1;
};

// Absolute path of an executable found in PATH or /usr/sbin, "" if missing.
std::string find_program(const std::string& name);
// gzip-compresses bytes (zlib), for content-encoding tests.
std::string gzip_compress(const std::string& data);

}  // namespace owlet::web::test
