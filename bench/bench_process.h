// Server processes for the HTTP benchmarks: start one, wait until it serves.
#pragma once

#include <fcntl.h>
#include <httplib.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace owlet::bench {

// Starts argv[0] with stdout discarded; stderr too, unless OWLET_BENCH_SERVER_LOG
// names a file to keep it in (for digging into failures).
inline pid_t spawn(const std::vector<std::string>& argv) {
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    const char* log = getenv("OWLET_BENCH_SERVER_LOG");
    int err = log ? open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644) : devnull;
    dup2(err, 2);
    std::vector<char*> a;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execv(a[0], a.data());
    _exit(127);
  }
  return pid;
}

// Polls GET /health until it answers 200 or `seconds` pass.
inline bool wait_healthy(int port, int seconds) {
  httplib::Client c("127.0.0.1", port);
  for (int i = 0; i < seconds * 10; ++i) {
    auto r = c.Get("/health");
    if (r && r->status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

}  // namespace owlet::bench
