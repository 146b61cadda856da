// A TCP listener that only counts: every connection it accepts is logged and
// closed. SSRF tests point owlet at it and prove that nothing ever connected —
// a TLS hello or a half-open probe counts as much as a full HTTP request.
#pragma once

#include <atomic>
#include <string>
#include <thread>

namespace owlet::test {

class ConnectionLogger {
 public:
  // Listens on `address` (e.g. "127.0.0.2": another loopback address than the
  // servers a test trusts) at a free port.
  explicit ConnectionLogger(const std::string& address = "127.0.0.1");
  ~ConnectionLogger();
  ConnectionLogger(const ConnectionLogger&) = delete;
  ConnectionLogger& operator=(const ConnectionLogger&) = delete;

  int port() const { return port_; }
  std::string host_port() const { return address_ + ":" + std::to_string(port_); }
  std::string url() const { return "http://" + host_port(); }
  int connections() const { return connections_.load(); }

 private:
  std::string address_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> connections_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace owlet::test
