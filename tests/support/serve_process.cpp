#include "support/serve_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace owlet::test {
ServeProcess::ServeProcess(const std::vector<std::string>& args, const std::vector<std::string>& env)
    : port_(free_port()) {
  std::vector<std::string> argv = {OWLET_BINARY, "serve", "--port", std::to_string(port_)};
  argv.insert(argv.end(), args.begin(), args.end());
  const std::string log = (dir_.path() / "stderr.log").string();
  pid_ = fork();
  if (pid_ == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) dup2(fd, 2);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, 0);
      dup2(null, 1);
    }
    for (const auto& kv : env) putenv(const_cast<char*>(kv.c_str()));
    std::vector<char*> a;
    for (auto& s : argv) a.push_back(s.data());
    a.push_back(nullptr);
    execv(a[0], a.data());
    _exit(127);
  }
}

ServeProcess::~ServeProcess() { stop(); }

bool ServeProcess::wait_listening(std::chrono::milliseconds limit) {
  bool exited = false;
  bool up = wait_until(
      [&] {
        int st = 0;
        if (status_ < 0 && waitpid(pid_, &st, WNOHANG) == pid_) {
          status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
          exited = true;
        }
        return exited || port_open(port_);
      },
      limit);
  return up && !exited;
}

int ServeProcess::stop() {
  if (status_ >= 0 || pid_ <= 0) return status_;
  kill(pid_, SIGTERM);
  int st = 0;
  waitpid(pid_, &st, 0);
  status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return status_;
}

std::string ServeProcess::stderr_text() const { return read_file(dir_.path() / "stderr.log"); }

}  // namespace owlet::test
