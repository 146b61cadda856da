// Web transport benchmarks, each printed as a ratio against its peer in the same run:
//  1. 20 pages from one host over TLS on loopback (Debian's nginx with HTTP/2):
//     HTTP/2 multiplexed vs HTTP/1.1 one-at-a-time vs HTTP/1.1 with 6 connections.
//  2. Search fan-out to 3 providers, one of them hanging: total time vs the deadline.
//     Run twice: direct on loopback (no latency) and through a delaying TCP relay
//     that gives each direction a fixed delay, i.e. a real network round trip.
// Usage: bench_web [rounds]   (needs nginx and openssl; skips what is missing)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <deque>
#include <thread>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "web/fixture_server.h"
#include "web/http_client.h"
#include "web/search_fanout.h"
#include "web/search_providers.h"

using namespace owlet::web;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

void write(const fs::path& p, const std::string& s) {
  std::ofstream f(p, std::ios::binary);
  f << s;
}

int run(const std::vector<std::string>& argv) {
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> a;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    freopen("/dev/null", "w", stderr);
    execv(a[0], a.data());
    _exit(127);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// TCP relay 127.0.0.1:port -> 127.0.0.1:target that delays every chunk by
// `one_way` in each direction: loopback with a round-trip time of 2 * one_way.
class DelayRelay {
 public:
  DelayRelay(int target, std::chrono::milliseconds one_way) : target_(target), delay_(one_way) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    listen(listen_fd_, 64);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~DelayRelay() {
    stop_ = true;
    acceptor_.join();
    for (auto& t : pumps_) t.join();
    close(listen_fd_);
  }
  int port() const { return port_; }

 private:
  void accept_loop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      int client = accept(listen_fd_, nullptr, nullptr);
      if (client < 0) continue;
      int server = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<uint16_t>(target_));
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (connect(server, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        close(client);
        close(server);
        continue;
      }
      // The two directions share the fds; the one that finishes last closes them.
      auto refs = std::make_shared<std::atomic<int>>(2);
      pumps_.emplace_back([this, client, server, refs] { pump(client, server, refs, client, server); });
      pumps_.emplace_back([this, client, server, refs] { pump(server, client, refs, client, server); });
    }
  }
  void pump(int from, int to, std::shared_ptr<std::atomic<int>> refs, int a, int b) {
    std::deque<std::pair<Clock::time_point, std::string>> queue;
    bool eof = false;
    char buf[65536];
    while (!stop_ && !(eof && queue.empty())) {
      auto now = Clock::now();
      while (!queue.empty() && queue.front().first <= now) {
        const std::string& d = queue.front().second;
        for (size_t off = 0; off < d.size();) {
          ssize_t n = send(to, d.data() + off, d.size() - off, MSG_NOSIGNAL);
          if (n <= 0) {
            eof = true;
            queue.clear();
            break;
          }
          off += static_cast<size_t>(n);
        }
        if (!queue.empty()) queue.pop_front();
      }
      int wait = 20;
      if (!queue.empty())
        wait = static_cast<int>(std::max<long>(0, std::chrono::duration_cast<std::chrono::milliseconds>(queue.front().first - now).count()));
      pollfd p{from, static_cast<short>(eof ? 0 : POLLIN), 0};
      if (poll(&p, 1, wait) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t n = recv(from, buf, sizeof buf, 0);
        if (n <= 0) eof = true;
        else queue.emplace_back(Clock::now() + delay_, std::string(buf, static_cast<size_t>(n)));
      }
    }
    shutdown(to, SHUT_WR);
    if (--*refs == 0) {
      close(a);
      close(b);
    }
  }

  int target_;
  std::chrono::milliseconds delay_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::vector<std::thread> pumps_;  // touched by the acceptor thread only until join
};

void bench_transport(int rounds) {
  std::string nginx = test::find_program("nginx"), openssl = test::find_program("openssl");
  if (nginx.empty() || openssl.empty()) {
    std::printf("transport: skipped (needs nginx and openssl: apt-get install nginx-light openssl)\n");
    return;
  }
  fs::path dir = fs::temp_directory_path() / ("owlet-bench-web-" + std::to_string(getpid()));
  fs::create_directories(dir / "www");
  fs::create_directories(dir / "logs");
  std::string page(16 * 1024, 'x');  // 16 KiB pages, like a small article
  for (int i = 0; i < 20; ++i) write(dir / "www" / ("p" + std::to_string(i) + ".html"), "<p>" + page + "</p>");
  std::string key = (dir / "key.pem").string(), cert = (dir / "cert.pem").string();
  if (run({openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
           "-out", cert, "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"}) != 0) {
    std::printf("transport: skipped (openssl failed)\n");
    return;
  }
  int port = owlet::test::free_port();
  write(dir / "nginx.conf",
        "daemon off; worker_processes 1; pid " + (dir / "nginx.pid").string() + "; error_log " +
            (dir / "logs/error.log").string() + ";\n" + (geteuid() == 0 ? "user root;\n" : "") +
            "events { worker_connections 256; }\n"
            "http { access_log off; keepalive_requests 10000;\n"
            "  client_body_temp_path " + (dir / "tmp").string() + "; proxy_temp_path " + (dir / "tmp").string() +
            "; fastcgi_temp_path " + (dir / "tmp").string() + "; uwsgi_temp_path " + (dir / "tmp").string() +
            "; scgi_temp_path " + (dir / "tmp").string() + ";\n"
            "  server { listen 127.0.0.1:" + std::to_string(port) + " ssl http2; server_name localhost;\n"
            "    ssl_certificate " + cert + "; ssl_certificate_key " + key + ";\n"
            "    root " + (dir / "www").string() + "; } }\n");
  test::ChildServer server;
  if (!server.start({nginx, "-p", dir.string(), "-c", (dir / "nginx.conf").string()}, port)) {
    std::printf("transport: skipped (nginx did not start; see %s)\n", (dir / "logs/error.log").c_str());
    return;
  }
  for (int one_way_ms : {0, 5}) {
  std::unique_ptr<DelayRelay> relay;
  int use_port = port;
  if (one_way_ms > 0) {
    relay = std::make_unique<DelayRelay>(port, std::chrono::milliseconds(one_way_ms));
    use_port = relay->port();
  }
  std::vector<HttpRequest> reqs;
  for (int i = 0; i < 20; ++i) reqs.push_back({"https://localhost:" + std::to_string(use_port) + "/p" + std::to_string(i) + ".html"});
  ClientOptions base;
  base.ssrf.allow_cidrs = {"127.0.0.1"};
  base.resolve = {"localhost:" + std::to_string(use_port) + ":127.0.0.1"};
  base.ca_file = cert;

  auto measure = [&](const char* name, ClientOptions o, bool sequential) {
    std::vector<double> times;
    std::string version;
    int conns = 0;
    for (int r = 0; r < rounds; ++r) {
      HttpClient c(o);  // cold: connection setup counts, as for a new page batch
      auto t0 = Clock::now();
      std::vector<HttpResponse> rs;
      if (sequential) {
        for (const auto& q : reqs) rs.push_back(c.fetch(q));
      } else {
        rs = c.fetch_all(reqs, std::chrono::seconds(10));
      }
      times.push_back(ms_since(t0));
      conns = 0;
      for (const auto& x : rs) {
        if (!x.ok()) {
          std::printf("  %s: request failed: %s\n", name, x.error.message.c_str());
          return -1.0;
        }
        conns += x.new_connections;
        version = x.http_version;
      }
    }
    double m = median(times);
    std::printf("  %-28s %8.2f ms median of %d rounds  (%s, %d connection%s)\n", name, m, rounds, version.c_str(), conns,
                conns == 1 ? "" : "s");
    return m;
  };
  std::printf("transport: 20 x 16 KiB pages, one host, TLS, nginx on loopback, RTT %d ms%s\n", 2 * one_way_ms,
              one_way_ms ? " (delay relay)" : " (direct)");
  ClientOptions h2 = base;
  double t_h2 = measure("HTTP/2 multiplexed", h2, false);
  ClientOptions h1 = base;
  h1.http2 = false;
  h1.max_connections_per_host = 1;
  double t_h1 = measure("HTTP/1.1 one-at-a-time", h1, true);
  ClientOptions h1x6 = base;
  h1x6.http2 = false;
  h1x6.max_connections_per_host = 6;
  double t_h1x6 = measure("HTTP/1.1 6 connections", h1x6, false);
  if (t_h2 > 0 && t_h1 > 0 && t_h1x6 > 0)
    std::printf("  ratio: HTTP/1.1 sequential / HTTP/2 = %.2fx, HTTP/1.1 x6 / HTTP/2 = %.2fx\n", t_h1 / t_h2, t_h1x6 / t_h2);
  }
  server.stop();
  std::error_code ec;
  fs::remove_all(dir, ec);
}

// One fixture server per round: a hanging handler holds a server thread until
// the server stops, and a shared server would run out of threads.
void bench_fanout(int rounds) {
  const auto deadline = std::chrono::milliseconds(200);
  std::vector<double> times;
  for (int r = 0; r < rounds; ++r) {
    test::FixtureServer s;
    s.route("GET", "/search", [](const test::FixtureRequest&) {
      return test::FixtureResponse{200, "application/json", R"({"results":[{"url":"https://a.example/","title":"A","content":"a"}]})"};
    });
    s.route("POST", "/api/web_search", [](const test::FixtureRequest&) {
      return test::FixtureResponse{200, "application/json", R"({"results":[{"url":"https://b.example/","title":"B","content":"b"}]})"};
    });
    s.route("GET", "/res/v1/web/search", [](const test::FixtureRequest&) {
      test::FixtureResponse res{200, "application/json", "{}"};
      res.delay = std::chrono::seconds(30);  // hangs
      return res;
    });
    s.start();
    ClientOptions o;
    o.ssrf.allow_cidrs = {"127.0.0.1"};
    auto a = make_searxng_provider({s.url()});
    auto b = make_ollama_provider({s.url(), "k"});
    auto c = make_brave_provider({s.url(), "k"});
    std::vector<const SearchProvider*> providers = {a.get(), b.get(), c.get()};
    HttpClient client(o);
    auto t0 = Clock::now();
    SearchOutcome out = search_all(client, providers, {"owl"}, deadline);
    times.push_back(ms_since(t0));
    if (out.answered.size() != 2)
      for (const auto& pr : out.providers) std::printf("  %s: %s\n", pr.provider.c_str(), pr.error.message.c_str());
  }
  std::sort(times.begin(), times.end());
  double worst = times.back();
  std::printf("search fan-out: 3 providers, 1 hanging, deadline %lld ms\n", static_cast<long long>(deadline.count()));
  std::printf("  median %.2f ms, worst %.2f ms of %d rounds; worst - deadline = %.2f ms (target <= 10 ms) %s\n",
              median(times), worst, rounds, worst - static_cast<double>(deadline.count()),
              worst - static_cast<double>(deadline.count()) <= 10 ? "OK" : "MISSED");
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 10;
  bench_transport(rounds);
  bench_fanout(std::min(rounds, 10));
  return 0;
}
