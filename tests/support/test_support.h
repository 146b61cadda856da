// Helpers shared by owlet's tests: scratch directories, files, and running a
// real binary with captured output (integration tests drive build/owlet itself).
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace owlet::test {

// A fresh directory under the build tree's scratch area, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

void write_file(const std::filesystem::path& p, const std::string& content);
std::string read_file(const std::filesystem::path& p);

struct ProcessResult {
  int exit_code = -1;   // exit status, or 128+signal when killed by a signal
  bool timed_out = false;
  std::string out;      // stdout
  std::string err;      // stderr
};

struct ProcessOptions {
  std::vector<std::string> env;          // extra "KEY=VALUE" entries
  std::string stdin_data;                // written to the child's stdin, then closed
  std::chrono::milliseconds timeout{120000};
  // Called with the stdout seen so far; return true to send `signal_to_send` once.
  std::function<bool(const std::string&)> send_signal_when;
  int signal_to_send = 2;  // SIGINT
};

// Runs argv[0] with argv (no shell), capturing stdout and stderr.
ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& opts = {});

// Path to a fixture model generated at test time (see tests/fixtures); empty if missing.
std::string fixture_model(const std::string& name);

// A loopback TCP port that was free a moment ago (for servers a test starts as a process).
int free_port();
// Whether something accepts TCP connections on 127.0.0.1:port now.
bool port_open(int port);

// Number of non-empty lines in s.
int count_lines(const std::string& s);

// Polls `done` every few milliseconds until it holds or `limit` passes; true
// when it held. Tests wait on a condition like this, never on a bare sleep.
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit = std::chrono::seconds(30));

}  // namespace owlet::test
