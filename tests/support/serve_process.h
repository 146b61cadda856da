// `owlet serve` as a child process for tests that talk to it over HTTP: started
// on a free loopback port with the given flags and environment, its stderr kept
// in a file, ready once a TCP connect succeeds, stopped with SIGTERM.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace owlet::test {

class ServeProcess {
 public:
  // args after "serve --port N"; env entries "KEY=VALUE" on top of the test's own.
  ServeProcess(const std::vector<std::string>& args, const std::vector<std::string>& env);
  ~ServeProcess();
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  int port() const { return port_; }
  // Waits until the port accepts connections, or the process has exited.
  bool wait_listening(std::chrono::milliseconds limit = std::chrono::seconds(60));
  // SIGTERM, then the exit status (128 + signal when killed).
  int stop();
  std::string stderr_text() const;  // what it wrote so far

 private:
  TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
  int status_ = -1;
};

}  // namespace owlet::test
