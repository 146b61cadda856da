// Acceptance of `cluster_redis` with the real binary: redis-server, three
// `owlet serve` replicas (each with its own knowledge base, as on separate
// machines) and, where installed, nginx with deploy/cluster/nginx.conf in
// front; the "web" is a SearxNG-shaped search API and pages on loopback.
//
// Shared: a document ingested through one replica is searchable on the others;
// an answer cached by one is a cache hit on another; a page fetched by one is
// not fetched again. Faults: Redis stopped mid-run, a replica SIGKILLed during
// ingest, a replica started late.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>

#include "cluster/keys.h"
#include "cluster_fixture.h"
#include "support/test_support.h"
#include "web/fixture_server.h"

using json = nlohmann::json;
using namespace owlet;
using namespace owlet::cluster;
using namespace owlet::cluster::test;
namespace fs = std::filesystem;

namespace {

// The fixture web: search results pointing at three pages; every request counted by path.
struct FixtureWeb {
  web::test::FixtureServer server;
  std::mutex mu;
  std::map<std::string, int> hits;

  FixtureWeb() {
    server.route("GET", "/search", [this](const web::test::FixtureRequest& q) {
      count(q.path);
      json results = json::array();
      for (int i = 1; i <= 3; ++i)
        results.push_back({{"url", server.url("/page/" + std::to_string(i))},
                           {"title", "Owl report " + std::to_string(i)},
                           {"content", "Birds."}});  // too thin: the pipeline reads the pages
      web::test::FixtureResponse r;
      r.content_type = "application/json";
      r.body = json{{"query", q.param("q")}, {"results", results}}.dump();
      return r;
    });
    server.route("GET", R"(/page/(\d+))", [this](const web::test::FixtureRequest& q) {
      count(q.path);
      web::test::FixtureResponse r;
      r.body = "<html><head><title>Owl page " + q.path.substr(6) +
               "</title></head><body><article><p>Field notes " + q.path.substr(6) +
               ": the tawny owl calls at dusk, and the little owl hunts beetles on open farmland near old "
               "barns.</p><p>Observers counted the nesting pairs again this spring.</p></article></body></html>";
      return r;
    });
    server.start();
  }
  void count(const std::string& path) {
    std::lock_guard lock(mu);
    hits[path]++;
  }
  int hits_of(const std::string& path) {
    std::lock_guard lock(mu);
    return hits[path];
  }
};

struct Replica {
  std::string name;
  fs::path dir;
  int port = 0;
  Child proc;

  Replica(std::string n, const fs::path& root) : name(std::move(n)), dir(root / name), port(owlet::test::free_port()) {
    fs::create_directories(dir / "home");
  }
  fs::path kb_dir() const { return dir / "kb"; }

  bool start(const std::string& redis_url, int web_port) {
    std::vector<std::string> env = {"HOME=" + (dir / "home").string(),
                                    "OWLET_KNOWLEDGE_PATH=" + kb_dir().string(),
                                    "OWLET_CLUSTER_REDIS=" + redis_url,
                                    "OWLET_ENGINE=extractive",
                                    "OWLET_SEARCH_PROVIDERS=searxng",
                                    "OWLET_SEARXNG_URL=http://127.0.0.1:" + std::to_string(web_port),
                                    "OWLET_ALLOW_PRIVATE=127.0.0.1",
                                    "OWLET_LOG_LEVEL=info"};
    if (!proc.spawn({OWLET_BINARY, "serve", "--port", std::to_string(port), "--grace", "1"}, env, dir / "serve.log"))
      return false;
    return wait_until([&] {
      httplib::Client c("127.0.0.1", port);
      auto r = c.Get("/health");
      return r && r->status == 200;
    }, 30s, 50ms);
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(30, 0);
    return c;
  }
  int ingest(const std::string& source, const std::string& text) const {
    auto r = client().Post("/api/ingest", json{{"source", source}, {"title", source}, {"text", text}}.dump(),
                           "application/json");
    return r ? r->status : 0;
  }
  // Sources of the knowledge-base hits for q over HTTP ("" entries on failure).
  std::set<std::string> search(const std::string& q) const {
    std::set<std::string> out;
    auto r = client().Get("/api/kb/search?k=20&q=" + q);  // the tests' queries are single words
    if (!r || r->status != 200) return out;
    const json body = json::parse(r->body);  // named: a temporary in a range-for's init would dangle
    for (const auto& h : body["hits"]) out.insert(h["source"].get<std::string>());
    return out;
  }
  json answer(const std::string& question, const std::string& web) const {
    auto r = client().Post("/api/answer", json{{"question", question}, {"web", web}, {"stream", false}}.dump(),
                           "application/json");
    if (!r) return json{{"http", 0}};
    json j = json::parse(r->body, nullptr, false);
    if (!j.is_object()) j = json::object();
    j["http"] = r->status;
    return j;
  }
  double metric(const std::string& line_prefix) const {
    auto r = client().Get("/metrics");
    if (!r) return -1;
    std::istringstream in(r->body);
    for (std::string line; std::getline(in, line);)
      if (line.rfind(line_prefix + " ", 0) == 0) return std::stod(line.substr(line_prefix.size() + 1));
    return -1;
  }
};

// `owlet kb search` (the CLI) on a replica's knowledge base, as an operator would run it.
bool cli_finds(const Replica& r, const std::string& query, const std::string& source) {
  auto p = owlet::test::run_process({OWLET_BINARY, "kb", "search", query, "--json", "--knowledge-path",
                                     r.kb_dir().string()},
                                    {{}, {}, std::chrono::milliseconds(10000)});
  return p.exit_code == 0 && p.out.find("\"" + source + "\"") != std::string::npos;
}

std::string doc_text(int i) {
  return "Catalogue entry " + std::to_string(i) + ": the owl ringed as mark q" + std::to_string(i * 104729) +
         " was seen again near the river, " + std::to_string(i % 7 + 2) + " kilometres from where it hatched.";
}
std::string doc_mark(int i) { return "q" + std::to_string(i * 104729); }

class Cluster : public ::testing::Test {
 protected:
  void SetUp() override {
    if (RedisServer::binary().empty()) GTEST_SKIP() << "redis-server is not installed (scripts/setup.sh installs it)";
    std::string err;
    ASSERT_TRUE(redis.start(root.path() / "redis", &err)) << err;
  }
  std::unique_ptr<Replica> replica(const std::string& name) {
    auto r = std::make_unique<Replica>(name, root.path());
    EXPECT_TRUE(r->start(redis.url(), web.server.port())) << name << " did not start:\n" << r->proc.log();
    return r;
  }
  std::set<std::string> stream_sources() {
    std::set<std::string> out;
    auto c = redis.connect();
    Reply r;
    if (!c || !c->run({"XRANGE", keys::kChanges, "-", "+"}, &r, nullptr)) return out;
    for (const Reply& e : r.elements) {
      const auto& f = e.elements[1].elements;
      for (size_t i = 0; i + 1 < f.size(); i += 2)
        if (f[i].str == "source") out.insert(f[i + 1].str);
    }
    return out;
  }
  owlet::test::TempDir root;
  RedisServer redis;
  FixtureWeb web;
};

// nginx with the shipped config, its replica and listen ports rewritten for this test.
struct Nginx {
  Child proc;
  int port = 0;
  fs::path dir;

  bool start(const fs::path& d, const std::vector<int>& replicas) {
    const std::string bin = find_program("nginx");
    if (bin.empty()) return false;
    dir = d;
    fs::create_directories(dir);
    for (const char* t : {"body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
      fs::create_directories(dir / t);
      fs::permissions(dir / t, fs::perms::all);
    }
    std::string conf = owlet::test::read_file(fs::path(OWLET_SOURCE_DIR) / "deploy/cluster/nginx.conf");
    std::string servers;
    for (int p : replicas) servers += "    server 127.0.0.1:" + std::to_string(p) + " max_fails=2 fail_timeout=10s;\n";
    conf = std::regex_replace(conf, std::regex(R"((    server 127\.0\.0\.1:1143[678][^\n]*\n)+)"), servers);
    port = owlet::test::free_port();
    conf = std::regex_replace(conf, std::regex("listen 127\\.0\\.0\\.1:11435"), "listen 127.0.0.1:" + std::to_string(port));
    owlet::test::write_file(dir / "owlet-cluster.conf", conf);
    const std::string d_s = dir.string();
    owlet::test::write_file(dir / "nginx.conf",
                            "daemon off;\nworker_processes 1;\npid " + d_s + "/nginx.pid;\nerror_log " + d_s +
                                "/error.log warn;\nevents { worker_connections 256; }\nhttp {\n"
                                "  log_format owlet '$upstream_addr $http_x_owlet_client $status';\n"
                                "  access_log " + d_s + "/access.log owlet;\n"
                                "  client_body_temp_path " + d_s + "/body;\n  proxy_temp_path " + d_s + "/proxy;\n"
                                "  fastcgi_temp_path " + d_s + "/fastcgi;\n  uwsgi_temp_path " + d_s + "/uwsgi;\n"
                                "  scgi_temp_path " + d_s + "/scgi;\n  include " + d_s + "/owlet-cluster.conf;\n}\n");
    if (!proc.spawn({bin, "-p", d_s, "-c", (dir / "nginx.conf").string(), "-e", d_s + "/error.log"}, {},
                    dir / "stderr.log"))
      return false;
    return wait_until([&] {
      httplib::Client c("127.0.0.1", port);
      auto r = c.Get("/health");
      return r && r->status == 200;
    }, 10s, 50ms);
  }
  ~Nginx() {
    proc.signal(SIGQUIT);
    proc.wait();
  }
  // Upstream address of each logged request with this client header.
  std::vector<std::string> upstreams_of(const std::string& client) {
    std::vector<std::string> out;
    std::ifstream in(dir / "access.log");
    for (std::string line; std::getline(in, line);) {
      std::istringstream ls(line);
      std::string up, who;
      ls >> up >> who;
      if (who == client) out.push_back(up);
    }
    return out;
  }
};

}  // namespace

TEST_F(Cluster, ReplicasShareKnowledgeAnswersAndPages) {
  auto a = replica("a"), b = replica("b"), c = replica("c");
  ASSERT_FALSE(HasFailure());

  // 1. A document ingested through A is found by `owlet kb search` on B and C within 2 s.
  ASSERT_EQ(a->ingest("notes/tawny", "Tawny owls pair for life and defend the zorblaxian woodland territory all year."), 200);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(wait_until([&] { return cli_finds(*b, "zorblaxian", "notes/tawny"); }, 2s, 10ms)) << "not on B in 2 s";
  EXPECT_TRUE(wait_until([&] { return cli_finds(*c, "zorblaxian", "notes/tawny"); }, 2s, 10ms)) << "not on C in 2 s";
  const double lag_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  RecordProperty("replication_to_cli_ms", std::to_string(static_cast<int>(lag_ms)));

  // 2. An answer cached by A is a cache hit on B.
  json first = a->answer("Do tawny owls defend their territory all year?", "never");
  ASSERT_EQ(first["http"], 200) << first.dump();
  EXPECT_NE(first["route"]["tier"], "cache");
  json again = b->answer("Do tawny owls defend their territory all year?", "never");
  ASSERT_EQ(again["http"], 200) << again.dump();
  EXPECT_EQ(again["route"]["tier"], "cache") << again.dump();
  EXPECT_EQ(again["answer"], first["answer"]);
  EXPECT_GE(b->metric("owlet_cluster_shared_hits_total{cache=\"answer\"}"), 1);

  // 3. A page fetched by A is not fetched again by C: the fixture web saw each page once.
  json deep = a->answer("What do observers report about owls near old barns this spring?", "always");
  ASSERT_EQ(deep["http"], 200) << deep.dump();
  const int page_hits = web.hits_of("/page/1") + web.hits_of("/page/2") + web.hits_of("/page/3");
  ASSERT_GE(page_hits, 1) << "A read no page: " << deep.dump();
  json other = c->answer("Where does the little owl hunt beetles, according to field notes?", "always");
  ASSERT_EQ(other["http"], 200) << other.dump();
  EXPECT_EQ(other["route"]["tier"], "web-deep") << other.dump();
  for (int i = 1; i <= 3; ++i) EXPECT_LE(web.hits_of("/page/" + std::to_string(i)), 1) << "page " << i;
  EXPECT_EQ(web.hits_of("/page/1") + web.hits_of("/page/2") + web.hits_of("/page/3"), page_hits);
  EXPECT_GE(web.hits_of("/search"), 2);  // each replica searched: only pages are shared
  EXPECT_GE(c->metric("owlet_cluster_shared_hits_total{cache=\"page\"}"), 1);

  // 4. /metrics: the link is up, and every replica's lag is known and small.
  EXPECT_EQ(b->metric("owlet_cluster_link_up"), 1);
  EXPECT_TRUE(wait_until([&] { return c->metric("owlet_cluster_journal_pending") == 0; }, 5s));

  // 5. nginx in front: sticky by X-Owlet-Client, cache hits through it, and a dead replica is passed over.
  Nginx nginx;
  if (find_program("nginx").empty()) {
    std::cout << "nginx is not installed: the load-balancer part is skipped\n";
    return;
  }
  ASSERT_TRUE(nginx.start(root.path() / "nginx", {a->port, b->port, c->port}))
      << owlet::test::read_file(root.path() / "nginx" / "error.log");
  httplib::Client lb("127.0.0.1", nginx.port);
  lb.set_read_timeout(30, 0);
  const std::string body = json{{"question", "Do tawny owls defend their territory all year?"}, {"web", "never"},
                                {"stream", false}}.dump();
  for (const char* who : {"alice", "bob", "carol", "dave"})
    for (int i = 0; i < 4; ++i) {
      auto r = lb.Post("/api/answer", {{"X-Owlet-Client", who}}, body, "application/json");
      ASSERT_TRUE(r && r->status == 200);
      EXPECT_EQ(json::parse(r->body)["route"]["tier"], "cache");
    }
  std::set<std::string> used;
  // nginx logs a request after its response went out: wait for all 16 lines.
  ASSERT_TRUE(wait_until([&] {
    size_t n = 0;
    for (const char* who : {"alice", "bob", "carol", "dave"}) n += nginx.upstreams_of(who).size();
    return n == 16;
  }, 5s));
  for (const char* who : {"alice", "bob", "carol", "dave"}) {
    auto ups = nginx.upstreams_of(who);
    ASSERT_EQ(ups.size(), 4u);
    EXPECT_EQ(std::set<std::string>(ups.begin(), ups.end()).size(), 1u) << who << " moved between replicas";
    used.insert(ups[0]);
  }
  // Alice's replica dies: her requests still answer (the next replica, shared cache).
  const std::string alice = nginx.upstreams_of("alice")[0];
  Replica* hers = alice.ends_with(":" + std::to_string(a->port))   ? a.get()
                  : alice.ends_with(":" + std::to_string(b->port)) ? b.get()
                                                                   : c.get();
  hers->proc.signal(SIGKILL);
  hers->proc.wait();
  for (int i = 0; i < 4; ++i) {
    auto r = lb.Post("/api/answer", {{"X-Owlet-Client", "alice"}}, body, "application/json");
    ASSERT_TRUE(r) << "no answer through nginx with a replica down";
    EXPECT_EQ(r->status, 200);
  }
}

TEST_F(Cluster, RedisStoppedMidRunThenRestarted) {
  auto a = replica("a"), b = replica("b");
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(a->ingest("before", doc_text(1)), 200);
  ASSERT_TRUE(wait_until([&] { return b->search(doc_mark(1)).count("before"); }, 5s));

  redis.stop();
  // Every request still answers, from local state.
  for (Replica* r : {a.get(), b.get()}) {
    EXPECT_EQ(r->answer("Where was the ringed owl seen again?", "never")["http"], 200);
    EXPECT_EQ(r->answer("Where was the ringed owl seen again?", "never")["http"], 200);
    EXPECT_TRUE(r->search(doc_mark(1)).count("before"));
    auto stats = r->client().Get("/api/kb/stats");
    EXPECT_TRUE(stats && stats->status == 200);
  }
  // Ingests keep working during the outage, on both sides.
  EXPECT_EQ(a->ingest("during/a", doc_text(2)), 200);
  EXPECT_EQ(b->ingest("during/b", doc_text(3)), 200);
  EXPECT_TRUE(wait_until([&] { return a->metric("owlet_cluster_link_up") == 0 && b->metric("owlet_cluster_link_up") == 0; }, 5s));
  EXPECT_EQ(a->metric("owlet_cluster_journal_pending"), 1);

  std::string err;
  ASSERT_TRUE(redis.restart(&err)) << err;
  EXPECT_TRUE(wait_until([&] { return b->search(doc_mark(2)).count("during/a") && a->search(doc_mark(3)).count("during/b"); },
                         15s, 50ms))
      << "ingests made during the outage did not reach the other replica";
  EXPECT_TRUE(wait_until([&] { return a->metric("owlet_cluster_link_up") == 1; }, 5s));
  // One warning per outage, however many requests ran during it.
  for (Replica* r : {a.get(), b.get()}) {
    const std::string log = r->proc.log();
    size_t n = 0;
    for (size_t p = log.find("is unreachable"); p != std::string::npos; p = log.find("is unreachable", p + 1)) ++n;
    EXPECT_EQ(n, 1u) << r->name << "'s log:\n" << log;
    EXPECT_EQ(r->metric("owlet_cluster_link_outages"), 1);
  }
}

TEST_F(Cluster, AReplicaKilledDuringIngestLosesNothingThatReachedTheStream) {
  auto a = replica("a"), b = replica("b");
  ASSERT_FALSE(HasFailure());
  std::atomic<int> acknowledged{0};
  constexpr int kDocs = 1000;
  std::thread feeder([&] {
    for (int i = 0; i < kDocs; ++i) {
      if (a->ingest("bulk/" + std::to_string(i), doc_text(i)) != 200) return;
      acknowledged = i + 1;
    }
  });
  // Killed mid-stream: some ingests published, the feeder still going.
  const bool streaming = wait_until([&] { return stream_sources().size() >= 15; }, 30s, 5ms);
  a->proc.signal(SIGKILL);
  a->proc.wait();
  feeder.join();
  ASSERT_TRUE(streaming) << "A published too little in 30 s";
  ASSERT_LT(acknowledged, kDocs) << "the kill came after the ingest had finished";
  const std::set<std::string> in_stream = stream_sources();
  // B ends up with every document that reached the stream.
  auto missing_on_b = [&] {
    std::vector<std::string> missing;
    for (const auto& s : in_stream) {
      const int i = std::stoi(s.substr(5));
      if (!b->search(doc_mark(i)).count(s)) missing.push_back(s);
    }
    return missing;
  };
  EXPECT_TRUE(wait_until([&] { return missing_on_b().empty(); }, 10s, 100ms))
      << missing_on_b().size() << " of " << in_stream.size() << " streamed documents missing on B";
  // A restarted publishes what it had stored but not yet streamed: every
  // acknowledged ingest ends up on B too.
  Replica again("a", root.path());
  again.port = a->port;
  ASSERT_TRUE(again.start(redis.url(), web.server.port())) << again.proc.log();
  EXPECT_TRUE(wait_until(
      [&] {
        for (int i = 0; i < acknowledged; ++i)
          if (!b->search(doc_mark(i)).count("bulk/" + std::to_string(i))) return false;
        return true;
      },
      15s, 200ms))
      << "some of the " << acknowledged << " acknowledged ingests never reached B";
}

TEST_F(Cluster, AReplicaStartedLaterCatchesUpCompletely) {
  auto a = replica("a");
  ASSERT_FALSE(HasFailure());
  for (int i = 0; i < 25; ++i) ASSERT_EQ(a->ingest("early/" + std::to_string(i), doc_text(i)), 200);
  ASSERT_EQ(a->ingest("early/5", doc_text(1005)), 200);  // replaced
  // A removal through the CLI on A's machine: journaled there, published by A's server.
  auto p = owlet::test::run_process({OWLET_BINARY, "kb", "rm", "early/7", "--knowledge-path", a->kb_dir().string()},
                                    {{"OWLET_CLUSTER_REDIS=" + redis.url()}, {}, std::chrono::milliseconds(10000)});
  ASSERT_EQ(p.exit_code, 0) << p.err;
  ASSERT_TRUE(wait_until([&] { return a->metric("owlet_cluster_journal_pending") == 0; }, 5s));
  auto late = replica("late");
  ASSERT_FALSE(HasFailure());
  auto stats = [](const Replica& r) {
    auto s = r.client().Get("/api/kb/stats");
    return s && s->status == 200 ? json::parse(s->body)["documents"].get<int>() : -1;
  };
  ASSERT_TRUE(wait_until([&] { return stats(*late) == stats(*a); }, 10s, 50ms))
      << "late replica has " << stats(*late) << " documents, A has " << stats(*a);
  EXPECT_EQ(stats(*late), 24);
  EXPECT_TRUE(late->search(doc_mark(1005)).count("early/5"));
  EXPECT_FALSE(late->search(doc_mark(5)).count("early/5"));
  EXPECT_FALSE(late->search(doc_mark(7)).count("early/7"));
  EXPECT_TRUE(late->search(doc_mark(24)).count("early/24"));
  // Its /metrics reports every replica's lag, its own at 0 once caught up.
  EXPECT_TRUE(wait_until(
      [&] {
        auto m = late->client().Get("/metrics");
        if (!m) return false;
        std::regex line(R"re(owlet_cluster_replication_lag_seconds\{replica="[^"]+:(\d+)"\} (\S+))re");
        int seen = 0;
        bool own_zero = false;
        for (std::sregex_iterator it(m->body.begin(), m->body.end(), line), end; it != end; ++it) {
          ++seen;
          if (std::stoi((*it)[1]) == late->port) own_zero = std::stod((*it)[2]) == 0;
        }
        return seen >= 2 && own_zero;
      },
      5s, 100ms));
}

// Issue #25: a document removed through replica A is not quoted from B's cache
// or from Redis: the removal drops the shared answers citing it at once, and B
// drops its local copy when it applies the removal from the stream.
TEST_F(Cluster, ADocumentRemovedThroughOneReplicaIsQuotedByNone) {
  auto a = replica("a"), b = replica("b");
  ASSERT_FALSE(HasFailure());
  const std::string q = "What is the guest Wi-Fi password?";
  ASSERT_EQ(a->ingest("notes/wifi", "The guest Wi-Fi password is hoot-hoot-42."), 200);
  ASSERT_TRUE(wait_until([&] { return b->search("hoot").count("notes/wifi") > 0; }, 5s, 10ms)) << "not on B";
  json first = a->answer(q, "never");
  ASSERT_EQ(first["http"], 200) << first.dump();
  ASSERT_NE(first["answer"].get<std::string>().find("hoot-hoot-42"), std::string::npos) << first.dump();
  json onb = b->answer(q, "never");
  EXPECT_EQ(onb["route"]["tier"], "cache") << "served from Redis: " << onb.dump();
  EXPECT_EQ(b->answer(q, "never")["route"]["tier"], "cache") << "and now from B's own tier";
  auto redis_count = [&](const std::vector<std::string>& cmd) {
    auto c = redis.connect();
    Reply r;
    if (!c || !c->run(cmd, &r, nullptr)) return -1LL;
    return r.type == Reply::Type::array ? static_cast<long long>(r.elements.size()) : r.integer;
  };
  EXPECT_EQ(redis_count({"KEYS", "owlet:answer:*"}), 1);
  EXPECT_EQ(redis_count({"SCARD", keys::answer_cites("notes/wifi")}), 1) << "the shared answer is indexed by its cite";

  // Removed through A (its CLI, beside A's server, as an operator would).
  auto rm = owlet::test::run_process({OWLET_BINARY, "kb", "rm", "notes/wifi", "--knowledge-path", a->kb_dir().string()},
                                     {{"OWLET_CLUSTER_REDIS=" + redis.url(), "HOME=" + (root.path() / "cli").string()},
                                      {},
                                      std::chrono::milliseconds(10000)});
  ASSERT_EQ(rm.exit_code, 0) << rm.err;
  EXPECT_NE(rm.out.find("dropped 1 cached answer"), std::string::npos) << rm.out;
  EXPECT_EQ(redis_count({"KEYS", "owlet:answer:*"}), 0) << "Redis dropped it at once";
  EXPECT_EQ(redis_count({"EXISTS", keys::answer_cites("notes/wifi")}), 0);
  ASSERT_TRUE(wait_until([&] { return b->search("hoot").count("notes/wifi") == 0; }, 5s, 10ms))
      << "B never applied the removal";
  for (Replica* r : {a.get(), b.get()}) {
    json after = r->answer(q, "never");
    ASSERT_EQ(after["http"], 200) << after.dump();
    EXPECT_NE(after["route"]["tier"], "cache") << r->name << ": " << after.dump();
    EXPECT_EQ(after["answer"].get<std::string>().find("hoot-hoot-42"), std::string::npos) << r->name << ": " << after.dump();
  }
}
