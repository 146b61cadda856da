#include "web/fixture_server.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <stdexcept>
#include <thread>

namespace owlet::web::test {

std::string FixtureRequest::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  return {};
}

std::string FixtureRequest::param(const std::string& name) const {
  auto it = params.find(name);
  return it == params.end() ? std::string() : it->second;
}

struct FixtureServer::Impl {
  httplib::Server server;
  std::thread thread;
  std::atomic<bool> stopping{false};
};

FixtureServer::FixtureServer(std::string bind_host) : impl_(std::make_unique<Impl>()), host_(std::move(bind_host)) {}

FixtureServer::~FixtureServer() { stop(); }

void FixtureServer::route(const std::string& method, const std::string& pattern, FixtureHandler handler) {
  auto h = [this, handler](const httplib::Request& req, httplib::Response& res) {
    hits_++;
    FixtureRequest fr;
    fr.method = req.method;
    fr.path = req.path;
    for (const auto& [k, v] : req.params) fr.params.emplace(k, v);
    for (const auto& [k, v] : req.headers) fr.headers.emplace_back(k, v);
    fr.body = req.body;
    FixtureResponse r = handler(fr);
    auto until = std::chrono::steady_clock::now() + r.delay;
    while (std::chrono::steady_clock::now() < until && !impl_->stopping)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    res.status = r.status;
    for (const auto& [k, v] : r.headers) res.set_header(k, v);
    if (r.stream) {
      auto stream = r.stream;
      auto* stopping = &impl_->stopping;
      res.set_chunked_content_provider(r.content_type, [stream, stopping](size_t, httplib::DataSink& sink) {
        std::string chunk;
        if (*stopping || !stream(chunk)) {
          sink.done();
          return true;
        }
        return sink.write(chunk.data(), chunk.size());
      });
    } else {
      res.set_content(r.body, r.content_type);
    }
  };
  if (method == "GET") impl_->server.Get(pattern, h);
  else if (method == "POST") impl_->server.Post(pattern, h);
  else throw std::invalid_argument("method");
}

void FixtureServer::start() {
  impl_->server.set_tcp_nodelay(true);  // no Nagle stalls between header and body writes
  // Every idle keep-alive connection holds a server thread; clients in the tests
  // keep dozens open, more than cpp-httplib's default pool of 8.
  impl_->server.new_task_queue = [] { return new httplib::ThreadPool(64); };
  port_ = impl_->server.bind_to_any_port(host_);
  if (port_ <= 0) throw std::runtime_error("cannot bind " + host_);
  impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
  while (!impl_->server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void FixtureServer::stop() {
  if (!impl_->thread.joinable()) return;
  impl_->stopping = true;
  impl_->server.stop();
  impl_->thread.join();
}

std::string FixtureServer::url(const std::string& path) const {
  return "http://" + host_ + ":" + std::to_string(port_) + path;
}

std::string find_program(const std::string& name) {
  for (const char* dir : {"/usr/sbin", "/usr/bin", "/usr/local/bin", "/sbin", "/bin"}) {
    std::filesystem::path p = std::filesystem::path(dir) / name;
    if (access(p.c_str(), X_OK) == 0) return p.string();
  }
  return {};
}

ChildServer::~ChildServer() { stop(); }

bool ChildServer::start(const std::vector<std::string>& argv, int port, std::chrono::milliseconds wait) {
  pid_ = fork();
  if (pid_ == 0) {
    int devnull = open("/dev/null", O_RDWR);
    dup2(devnull, 1);
    if (!getenv("OWLET_TEST_VERBOSE")) dup2(devnull, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  auto until = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < until) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(fd);
    if (ok) return true;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void ChildServer::stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string gzip_compress(const std::string& data) {
  z_stream zs{};
  deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, data.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace owlet::web::test
