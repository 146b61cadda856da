// owlet-bench-cluster: owlet replicas sharing Redis, measured end to end over
// loopback HTTP, each figure next to its peer from the same run.
//
//   owlet-bench-cluster --replicas 3 --clients 8 --seconds 10
//
// 1. Replication lag: a document ingested through replica A, until a search on
//    replica B finds it (p50/p99), from the ingest request's start and from its
//    response.
// 2. Answer-cache hits over HTTP: served from Redis (B asks what A cached) and,
//    its peer, from B's own local tier (the same questions again).
// 3. Cache-hit throughput and p99 through nginx (deploy/cluster/nginx.conf):
//    one replica behind it against all of them, same clients and questions.
//
// Needs redis-server and nginx (Debian packages; scripts/setup.sh installs them).
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_process.h"

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * static_cast<double>(v.size())))];
}

std::string which(const std::string& name) {
  for (const char* d : {"/usr/bin/", "/usr/sbin/", "/usr/local/bin/", "/usr/local/sbin/"})
    if (access((std::string(d) + name).c_str(), X_OK) == 0) return std::string(d) + name;
  return "";
}

void stop(pid_t pid, int sig = SIGTERM) {
  if (pid <= 0) return;
  kill(pid, sig);
  waitpid(pid, nullptr, 0);
}

json post(httplib::Client& c, const std::string& path, const json& body, const httplib::Headers& h = {}) {
  auto r = c.Post(path, h, body.dump(), "application/json");
  if (!r || r->status != 200) return json();
  return json::parse(r->body, nullptr, false);
}

std::string question(int i) { return "Benchmark question " + std::to_string(i) + ": where do owls roost in winter?"; }

struct Nginx {
  pid_t pid = -1;
  int port = 0;
  bool start(const std::string& bin, const fs::path& dir, const std::vector<int>& replicas) {
    fs::create_directories(dir);
    for (const char* t : {"body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
      fs::create_directories(dir / t);
      fs::permissions(dir / t, fs::perms::all);
    }
    std::ifstream in(fs::path(OWLET_SOURCE_DIR) / "deploy/cluster/nginx.conf");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string servers;
    for (int p : replicas) servers += "    server 127.0.0.1:" + std::to_string(p) + " max_fails=2 fail_timeout=10s;\n";
    std::string conf = std::regex_replace(ss.str(), std::regex(R"((    server 127\.0\.0\.1:1143[678][^\n]*\n)+)"), servers);
    port = owlet::bench::free_port();
    conf = std::regex_replace(conf, std::regex("listen 127\\.0\\.0\\.1:11435"), "listen 127.0.0.1:" + std::to_string(port));
    std::ofstream(dir / "owlet-cluster.conf") << conf;
    const std::string d = dir.string();
    std::ofstream(dir / "nginx.conf") << "daemon off;\nworker_processes 2;\npid " << d << "/nginx.pid;\nerror_log " << d
                                      << "/error.log warn;\nevents { worker_connections 1024; }\nhttp {\n  access_log off;\n"
                                      << "  client_body_temp_path " << d << "/body;\n  proxy_temp_path " << d << "/proxy;\n"
                                      << "  fastcgi_temp_path " << d << "/fastcgi;\n  uwsgi_temp_path " << d << "/uwsgi;\n"
                                      << "  scgi_temp_path " << d << "/scgi;\n  include " << d << "/owlet-cluster.conf;\n}\n";
    pid = owlet::bench::spawn({bin, "-p", d, "-c", d + "/nginx.conf", "-e", d + "/error.log"}, {});
    return owlet::bench::wait_healthy(port, 10);
  }
  ~Nginx() { stop(pid, SIGQUIT); }
};

struct Load {
  double rps = 0, p50 = 0, p99 = 0;
  int errors = 0;
};

// `clients` threads, each its own X-Owlet-Client, asking cached questions for `seconds`.
Load drive(int port, int clients, int seconds, int questions) {
  std::vector<std::vector<double>> lat(static_cast<size_t>(clients));
  std::atomic<int> errors{0};
  const auto end = Clock::now() + std::chrono::seconds(seconds);
  std::vector<std::thread> ts;
  for (int c = 0; c < clients; ++c)
    ts.emplace_back([&, c] {
      httplib::Client cl("127.0.0.1", port);
      cl.set_keep_alive(true);
      cl.set_tcp_nodelay(true);  // as curl, browsers and the Ollama/OpenAI clients do
      httplib::Headers h = {{"X-Owlet-Client", "client-" + std::to_string(c)}};
      for (int i = c; Clock::now() < end; i += clients) {
        const auto t = Clock::now();
        json r = post(cl, "/api/answer", {{"question", question(i % questions)}, {"web", "never"}, {"stream", false}}, h);
        if (!r.is_object() || r["route"]["tier"] != "cache") {
          ++errors;
          continue;
        }
        lat[static_cast<size_t>(c)].push_back(ms_since(t));
      }
    });
  for (auto& t : ts) t.join();
  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  return {static_cast<double>(all.size()) / seconds, pct(all, 50), pct(all, 99), errors};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"owlet replicas on Redis: replication lag, shared cache hits, nginx throughput"};
  int replicas = 3, samples = 200, questions = 300, clients = 8, seconds = 10;
  std::string owlet = OWLET_BINARY_PATH;
  app.add_option("--replicas", replicas, "replicas behind nginx in the many-replica run");
  app.add_option("--lag-samples", samples, "documents ingested for the replication lag");
  app.add_option("--questions", questions, "distinct cached questions");
  app.add_option("--clients", clients, "concurrent clients through nginx");
  app.add_option("--seconds", seconds, "seconds per throughput run");
  CLI11_PARSE(app, argc, argv);
  const std::string redis_bin = which("redis-server"), nginx_bin = which("nginx");
  if (redis_bin.empty() || nginx_bin.empty()) {
    fprintf(stderr, "owlet-bench-cluster: needs redis-server and nginx (scripts/setup.sh installs them)\n");
    return 1;
  }
  replicas = std::max(replicas, 2);
  const fs::path root = fs::temp_directory_path() / ("owlet-bench-cluster-" + std::to_string(getpid()));
  fs::create_directories(root / "redis");
  const int redis_port = owlet::bench::free_port();
  pid_t redis = owlet::bench::spawn({redis_bin, "--port", std::to_string(redis_port), "--bind", "127.0.0.1", "--dir",
                           (root / "redis").string(), "--appendonly", "yes", "--appendfsync", "always", "--save", ""},
                          {});
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::string url = "redis://127.0.0.1:" + std::to_string(redis_port) + "/0";
  std::vector<int> ports;
  std::vector<pid_t> pids;
  for (int i = 0; i < replicas; ++i) {
    const int port = owlet::bench::free_port();
    const fs::path dir = root / ("r" + std::to_string(i));
    fs::create_directories(dir / "home");
    pids.push_back(owlet::bench::spawn({owlet, "serve", "--port", std::to_string(port)},
                             {"HOME=" + (dir / "home").string(), "OWLET_KNOWLEDGE_PATH=" + (dir / "kb").string(),
                              "OWLET_CLUSTER_REDIS=" + url, "OWLET_ENGINE=extractive", "OWLET_WEB=never"}));
    ports.push_back(port);
  }
  for (int p : ports)
    if (!owlet::bench::wait_healthy(p, 30)) {
      fprintf(stderr, "owlet-bench-cluster: replica on %d did not start\n", p);
      return 1;
    }
  httplib::Client a("127.0.0.1", ports[0]), b("127.0.0.1", ports[1]);
  a.set_tcp_nodelay(true);
  b.set_tcp_nodelay(true);
  printf("replicas %d, redis-server %s (appendfsync always), clients %d, %d s per run\n", replicas, url.c_str(),
         clients, seconds);

  // 1. Replication lag.
  std::vector<double> from_start, from_ack;
  for (int i = 0; i < samples; ++i) {
    const std::string mark = "lagmark" + std::to_string(i) + "x" + std::to_string(getpid());
    const auto t0 = Clock::now();
    if (!post(a, "/api/ingest", {{"source", "bench/" + mark}, {"text", "The owl ringed " + mark + " nests by the river."}})
             .is_object())
      continue;
    const auto t1 = Clock::now();
    for (;;) {
      auto r = b.Get("/api/kb/search?k=1&q=" + mark);
      if (r && r->status == 200 && r->body.find(mark) != std::string::npos) break;
      if (ms_since(t0) > 10000) break;
    }
    from_start.push_back(ms_since(t0));
    from_ack.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t1).count());
  }
  printf("\nreplication lag, ingest on A -> found by search on B (%zu documents)\n", from_start.size());
  printf("  %-34s p50 %7.2f ms   p99 %7.2f ms\n", "from the ingest request", pct(from_start, 50), pct(from_start, 99));
  printf("  %-34s p50 %7.2f ms   p99 %7.2f ms\n", "from the ingest response", pct(from_ack, 50), pct(from_ack, 99));

  // 2. Cache hits over HTTP: from Redis, then from the local tier.
  for (int i = 0; i < questions; ++i) post(a, "/api/answer", {{"question", question(i)}, {"web", "never"}, {"stream", false}});
  std::vector<double> shared_ms, local_ms;
  int misses = 0;
  for (int pass = 0; pass < 2; ++pass)
    for (int i = 0; i < questions; ++i) {
      const auto t = Clock::now();
      json r = post(b, "/api/answer", {{"question", question(i)}, {"web", "never"}, {"stream", false}});
      const double ms = ms_since(t);
      if (!r.is_object() || r["route"]["tier"] != "cache") {
        ++misses;
        continue;
      }
      (pass == 0 ? shared_ms : local_ms).push_back(ms);
    }
  printf("\nanswer-cache hits over HTTP on B (%d questions cached by A, %d misses)\n", questions, misses);
  printf("  %-34s p50 %7.2f ms   p99 %7.2f ms\n", "from Redis (first ask on B)", pct(shared_ms, 50), pct(shared_ms, 99));
  printf("  %-34s p50 %7.2f ms   p99 %7.2f ms\n", "from B's local tier (again)", pct(local_ms, 50), pct(local_ms, 99));
  printf("  %-34s %.3f\n", "p99 ratio redis / local", pct(shared_ms, 99) / pct(local_ms, 99));

  // 3. Through nginx: one replica, then all of them.
  Load one, many;
  {
    Nginx n;
    if (!n.start(nginx_bin, root / "nginx1", {ports[0]})) return 1;
    drive(n.port, clients, 1, questions);  // warm-up
    one = drive(n.port, clients, seconds, questions);
  }
  {
    Nginx n;
    if (!n.start(nginx_bin, root / "nginxN", ports)) return 1;
    drive(n.port, clients, 1, questions);
    many = drive(n.port, clients, seconds, questions);
  }
  printf("\ncache-hit answers through nginx, %d clients\n", clients);
  printf("  %-14s %10s %10s %10s %8s\n", "", "req/s", "p50 ms", "p99 ms", "errors");
  printf("  %-14s %10.0f %10.2f %10.2f %8d\n", "1 replica", one.rps, one.p50, one.p99, one.errors);
  printf("  %-14s %10.0f %10.2f %10.2f %8d\n", (std::to_string(replicas) + " replicas").c_str(), many.rps, many.p50,
         many.p99, many.errors);
  printf("  %-14s %10.3f\n", "ratio", many.rps / one.rps);

  for (pid_t p : pids) stop(p);
  stop(redis);
  std::error_code ec;
  fs::remove_all(root, ec);
  return 0;
}
