#include "cluster_fixture.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "support/test_support.h"

namespace owlet::cluster::test {

bool wait_until(const std::function<bool()>& cond, std::chrono::milliseconds deadline, std::chrono::milliseconds step) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (true) {
    if (cond()) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(step);
  }
}

std::string find_program(const std::string& name) {
  std::string path = getenv("PATH") ? getenv("PATH") : "";
  path += ":/usr/sbin:/usr/bin:/sbin";
  std::stringstream ss(path);
  for (std::string dir; std::getline(ss, dir, ':');) {
    if (dir.empty()) continue;
    std::string p = dir + "/" + name;
    if (access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

Child::~Child() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

bool Child::spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                  const std::filesystem::path& log) {
  log_ = log;
  pid_ = fork();
  if (pid_ < 0) return false;
  if (pid_ == 0) {
    int devnull = open("/dev/null", O_RDWR);
    int err = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(devnull, 0);
    dup2(devnull, 1);
    dup2(err >= 0 ? err : devnull, 2);
    for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> a;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execv(a[0], a.data());
    _exit(127);
  }
  return true;
}

void Child::signal(int sig) {
  if (pid_ > 0) kill(pid_, sig);
}

int Child::wait() {
  if (pid_ <= 0) return -1;
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool Child::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

std::string Child::log() const {
  std::ifstream f(log_);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string RedisServer::binary() { return find_program("redis-server"); }

bool RedisServer::start(const std::filesystem::path& dir, std::string* err) {
  dir_ = dir;
  std::filesystem::create_directories(dir_);
  port_ = owlet::test::free_port();
  return restart(err);
}

bool RedisServer::restart(std::string* err) {
  const std::string bin = binary();
  if (bin.empty()) {
    *err = "redis-server is not installed (scripts/setup.sh installs it)";
    return false;
  }
  std::vector<std::string> argv = {bin, "--port", std::to_string(port_), "--bind", "127.0.0.1", "--dir", dir_.string(),
                                   "--appendonly", "yes", "--appendfsync", "always", "--save", "",
                                   "--protected-mode", "yes", "--daemonize", "no"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  if (!child_.spawn(argv, {}, dir_ / "redis.log")) {
    *err = "cannot start redis-server";
    return false;
  }
  // Up means answering PING (not LOADING) on the port.
  const bool up = wait_until(
      [&] {
        Error e;
        auto c = connect();
        Reply r;
        return c && c->run({"PING"}, &r, &e) && r.str == "PONG";
      },
      10s, 20ms);
  if (!up) *err = "redis-server did not come up: " + child_.log();
  return up;
}

void RedisServer::stop() {
  child_.signal(SIGTERM);
  child_.wait();
}

std::unique_ptr<RedisConnection> RedisServer::connect() const {
  RedisUrl u;
  u.host = "127.0.0.1";
  u.port = port_;
  u.password = password;
  Error e;
  return RedisConnection::open(u, 500ms, 2000ms, &e);
}

}  // namespace owlet::cluster::test
