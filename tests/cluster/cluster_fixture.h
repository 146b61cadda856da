// Real processes for the cluster tests: redis-server on loopback with its data
// in a test directory, and children (owlet serve, nginx, ggml-rpc-server) whose
// stderr is kept as their log.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cluster/redis_link.h"

namespace owlet::cluster::test {

using namespace std::chrono_literals;

// Polls `cond` until it holds or `deadline` passes.
bool wait_until(const std::function<bool()>& cond, std::chrono::milliseconds deadline,
                std::chrono::milliseconds step = 20ms);

// Absolute path of a program in PATH, /usr/sbin or /usr/bin; "" when missing.
std::string find_program(const std::string& name);

// A child process: stdout discarded, stderr appended to `log`. Killed (SIGKILL)
// on destruction if still running.
class Child {
 public:
  Child() = default;
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  bool spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
             const std::filesystem::path& log);
  void signal(int sig);
  int wait();  // exit code, or 128 + signal
  bool running();
  std::string log() const;

 private:
  pid_t pid_ = -1;
  std::filesystem::path log_;
};

// redis-server on 127.0.0.1 with an append-only file fsynced on every write, so
// a stop and restart keeps the stream (as a production Redis must: docs/CLUSTER.md).
class RedisServer {
 public:
  static std::string binary();
  bool start(const std::filesystem::path& dir, std::string* err);
  bool restart(std::string* err);  // same port, same data
  void stop();                     // SIGTERM (Redis writes what it holds), then waits
  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }
  // A connection for the test's own checks (XRANGE, KEYS...).
  std::unique_ptr<RedisConnection> connect() const;
  std::vector<std::string> extra_args;  // e.g. {"--requirepass", "..."}; set before start
  std::string password;                 // what connect() authenticates with

 private:
  Child child_;
  std::filesystem::path dir_;
  int port_ = 0;
};

}  // namespace owlet::cluster::test
