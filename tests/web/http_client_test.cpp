// HTTP client against real loopback servers: limits, redirects, deadlines,
// back-off, connection reuse, HTTP/2 (nghttpd) and TLS verification.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "support/test_support.h"
#include "web/fixture_server.h"
#include "web/http_client.h"

namespace owlet::web {
namespace {

using namespace std::chrono_literals;
using test::FixtureRequest;
using test::FixtureResponse;
using test::FixtureServer;
using Clock = std::chrono::steady_clock;

ClientOptions loopback_options() {
  ClientOptions o;
  o.ssrf.allow_cidrs = {"127.0.0.1"};
  o.request_timeout = 5000ms;
  return o;
}

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

TEST(HttpClient, GetSendsUserAgentAndReportsVersion) {
  FixtureServer s;
  std::string seen_ua, seen_ae;
  s.route("GET", "/hello", [&](const FixtureRequest& r) {
    seen_ua = r.header("User-Agent");
    seen_ae = r.header("Accept-Encoding");
    return FixtureResponse{200, "text/plain; charset=utf-8", "hi there"};
  });
  s.start();
  HttpClient c(loopback_options());
  HttpResponse r = c.get(s.url("/hello"));
  ASSERT_TRUE(r.ok()) << r.error.message;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hi there");
  EXPECT_EQ(r.text, "hi there");
  EXPECT_EQ(r.http_version, "HTTP/1.1");
  EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
  EXPECT_NE(seen_ua.find("owlet/"), std::string::npos) << seen_ua;
  for (const char* enc : {"gzip", "br", "zstd"}) EXPECT_NE(seen_ae.find(enc), std::string::npos) << seen_ae;
}

TEST(HttpClient, AcceptLanguageFromOptionsUnlessRequestSetsOne) {
  FixtureServer s;
  s.route("GET", "/lang", [](const FixtureRequest& r) { return FixtureResponse{200, "text/plain", r.header("Accept-Language")}; });
  s.start();
  ClientOptions o = loopback_options();
  o.accept_language = "zh-CN,zh;q=0.9";
  HttpClient c(o);
  EXPECT_EQ(c.get(s.url("/lang")).body, "zh-CN,zh;q=0.9");
  HttpRequest req{s.url("/lang")};
  req.headers = {{"accept-language", "de"}};
  EXPECT_EQ(c.fetch(req).body, "de");
}

TEST(HttpClient, ConcurrentCallersShareOneClient) {
  FixtureServer s;
  s.route("GET", "/n/(\\d+)", [](const FixtureRequest& r) { return FixtureResponse{200, "text/plain", r.path}; });
  s.start();
  HttpClient c(loopback_options());
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round) {
        std::vector<HttpRequest> reqs;
        for (int i = 0; i < 5; ++i) reqs.push_back({s.url("/n/" + std::to_string(t * 100 + round * 10 + i))});
        auto rs = c.fetch_all(reqs, 3000ms);
        for (size_t i = 0; i < rs.size(); ++i)
          if (rs[i].ok() && rs[i].body == "/n/" + std::to_string(t * 100 + round * 10 + static_cast<int>(i))) good++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(good.load(), 4 * 5 * 5);
}

TEST(HttpClient, PostBodyAndHeaders) {
  FixtureServer s;
  s.route("POST", "/echo", [](const FixtureRequest& r) {
    return FixtureResponse{201, "application/json", r.header("Authorization") + "|" + r.body};
  });
  s.start();
  HttpClient c(loopback_options());
  HttpRequest req{s.url("/echo"), "POST", {{"Authorization", "Bearer k"}, {"Content-Type", "application/json"}}, "{\"q\":1}"};
  HttpResponse r = c.fetch(req);
  ASSERT_TRUE(r.ok()) << r.error.message;
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body, "Bearer k|{\"q\":1}");
}

TEST(HttpClient, ReusesConnectionAcrossCalls) {
  FixtureServer s;
  s.route("GET", "/.*", [](const FixtureRequest&) { return FixtureResponse{200, "text/plain", "x"}; });
  s.start();
  HttpClient c(loopback_options());
  HttpResponse a = c.get(s.url("/a"));
  HttpResponse b = c.get(s.url("/b"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a.new_connections, 1);
  EXPECT_EQ(b.new_connections, 0);  // kept alive in the multi handle's cache
}

TEST(HttpClient, BatchRunsInParallelAndKeepsOrder) {
  FixtureServer s;
  s.route("GET", "/slow/(\\d+)", [](const FixtureRequest& r) {
    FixtureResponse res{200, "text/plain", r.path};
    res.delay = 300ms;
    return res;
  });
  s.start();
  HttpClient c(loopback_options());
  std::vector<HttpRequest> reqs;
  for (int i = 0; i < 6; ++i) reqs.push_back({s.url("/slow/" + std::to_string(i))});
  auto t0 = Clock::now();
  auto rs = c.fetch_all(reqs, 3000ms);
  double took = ms_since(t0);
  ASSERT_EQ(rs.size(), 6u);
  for (int i = 0; i < 6; ++i) {
    EXPECT_TRUE(rs[i].ok()) << rs[i].error.message;
    EXPECT_EQ(rs[i].body, "/slow/" + std::to_string(i));
  }
  EXPECT_LT(took, 1200) << "6 x 300 ms sequentially would take 1800 ms";
}

TEST(HttpClient, BatchDeadlineCutsSlowRequestOnly) {
  FixtureServer s;
  s.route("GET", "/fast", [](const FixtureRequest&) { return FixtureResponse{200, "text/plain", "fast"}; });
  s.route("GET", "/hang", [](const FixtureRequest&) {
    FixtureResponse res{200, "text/plain", "late"};
    res.delay = 10s;
    return res;
  });
  s.start();
  HttpClient c(loopback_options());
  auto t0 = Clock::now();
  auto rs = c.fetch_all({{s.url("/fast")}, {s.url("/hang")}, {s.url("/fast")}}, 400ms);
  double took = ms_since(t0);
  EXPECT_TRUE(rs[0].ok());
  EXPECT_TRUE(rs[2].ok());
  EXPECT_EQ(rs[1].error.kind, ErrorKind::timeout) << rs[1].error.message;
  EXPECT_GE(took, 390);
  // The hang lasts 10 s: finishing far sooner proves the deadline cut it, without
  // betting on how busy the machine is.
  EXPECT_LT(took, 5000);
}

TEST(HttpClient, PerRequestTimeout) {
  FixtureServer s;
  s.route("GET", "/hang", [](const FixtureRequest&) {
    FixtureResponse res{200, "text/plain", "late"};
    res.delay = 10s;
    return res;
  });
  s.start();
  HttpClient c(loopback_options());
  HttpRequest req{s.url("/hang")};
  req.timeout = 200ms;
  auto t0 = Clock::now();
  HttpResponse r = c.fetch(req);
  EXPECT_EQ(r.error.kind, ErrorKind::timeout);
  EXPECT_LT(ms_since(t0), 500);
}

TEST(HttpClient, EndlessBodyStoppedAtCap) {
  FixtureServer s;
  std::atomic<long> sent{0};
  s.route("GET", "/endless", [&](const FixtureRequest&) {
    FixtureResponse res{200, "text/html", ""};
    res.stream = [&](std::string& chunk) {
      chunk.assign(64 * 1024, 'a');
      sent += static_cast<long>(chunk.size());
      return true;  // never ends
    };
    return res;
  });
  s.start();
  ClientOptions o = loopback_options();
  o.max_body_bytes = 256 << 10;
  o.request_timeout = 10000ms;
  HttpClient c(o);
  auto t0 = Clock::now();
  HttpResponse r = c.get(s.url("/endless"));
  // Stopped by the cap, not by the (much later) timeout.
  EXPECT_EQ(r.error.kind, ErrorKind::too_large) << r.error.message;
  EXPECT_LE(r.body.size(), o.max_body_bytes);
  EXPECT_GT(r.body.size(), o.max_body_bytes / 2);
  EXPECT_LT(ms_since(t0), 5000);
}

TEST(HttpClient, DeclaredContentLengthOverCapRefused) {
  FixtureServer s;
  s.route("GET", "/big", [](const FixtureRequest&) { return FixtureResponse{200, "text/plain", std::string(300000, 'b')}; });
  s.start();
  ClientOptions o = loopback_options();
  o.max_body_bytes = 100000;
  HttpClient c(o);
  HttpResponse r = c.get(s.url("/big"));
  EXPECT_EQ(r.error.kind, ErrorKind::too_large);
}

TEST(HttpClient, GzipDecodedAndGzipBombStopped) {
  FixtureServer s;
  std::string small_plain = "<p>compressed hello</p>";
  std::string small = test::gzip_compress(small_plain);
  std::string bomb = test::gzip_compress(std::string(64u << 20, '\0'));  // 64 MiB of zeros in ~64 KiB
  s.route("GET", "/small", [&](const FixtureRequest&) {
    FixtureResponse res{200, "text/html", small};
    res.headers = {{"Content-Encoding", "gzip"}};
    return res;
  });
  s.route("GET", "/bomb", [&](const FixtureRequest&) {
    FixtureResponse res{200, "text/html", bomb};
    res.headers = {{"Content-Encoding", "gzip"}};
    return res;
  });
  s.start();
  ASSERT_LT(bomb.size(), 1u << 20);
  ClientOptions o = loopback_options();
  o.max_body_bytes = 2u << 20;
  HttpClient c(o);
  HttpResponse r = c.get(s.url("/small"));
  ASSERT_TRUE(r.ok()) << r.error.message;
  EXPECT_EQ(r.body, small_plain);
  r = c.get(s.url("/bomb"));
  EXPECT_EQ(r.error.kind, ErrorKind::too_large) << r.error.message;
  EXPECT_LE(r.body.size(), o.max_body_bytes);
}

TEST(HttpClient, FollowsRedirectsAndStopsLoopsAndLongChains) {
  FixtureServer s;
  auto redirect = [](std::string to) {
    return [to](const FixtureRequest&) {
      FixtureResponse res{302, "text/plain", ""};
      res.headers = {{"Location", to}};
      return res;
    };
  };
  s.route("GET", "/r1", redirect("/r2"));
  s.route("GET", "/r2", redirect("/final"));
  s.route("GET", "/final", [](const FixtureRequest&) { return FixtureResponse{200, "text/plain", "done"}; });
  s.route("GET", "/loop-a", redirect("/loop-b"));
  s.route("GET", "/loop-b", redirect("/loop-a"));
  s.route("GET", "/chain/(\\d+)", [](const FixtureRequest& r) {
    int n = std::atoi(r.path.substr(7).c_str());
    FixtureResponse res{301, "text/plain", ""};
    res.headers = {{"Location", "/chain/" + std::to_string(n + 1)}};
    return res;
  });
  s.start();
  ClientOptions o = loopback_options();
  o.max_redirects = 3;
  HttpClient c(o);
  HttpResponse r = c.get(s.url("/r1"));
  ASSERT_TRUE(r.ok()) << r.error.message;
  EXPECT_EQ(r.body, "done");
  EXPECT_EQ(r.redirects, 2);
  EXPECT_EQ(r.effective_url, s.url("/final"));

  int before = s.hits();
  r = c.get(s.url("/loop-a"));
  EXPECT_EQ(r.error.kind, ErrorKind::too_many_redirects) << r.error.message;
  EXPECT_LE(s.hits() - before, 3);

  r = c.get(s.url("/chain/0"));
  EXPECT_EQ(r.error.kind, ErrorKind::too_many_redirects) << r.error.message;
  EXPECT_EQ(r.redirects, 3);
}

TEST(HttpClient, CredentialsDoNotFollowCrossOriginRedirects) {
  FixtureServer other("127.0.0.2");
  std::string other_auth = "unset", other_accept;
  other.route("GET", "/landing", [&](const FixtureRequest& r) {
    other_auth = r.header("Authorization");
    other_accept = r.header("Accept");
    return FixtureResponse{200, "text/plain", "landed"};
  });
  other.start();
  FixtureServer s;
  std::string same_auth;
  std::string target = other.url("/landing");
  s.route("GET", "/away", [target](const FixtureRequest&) {
    FixtureResponse r{302, "text/plain", ""};
    r.headers = {{"Location", target}};
    return r;
  });
  s.route("GET", "/here", [](const FixtureRequest&) {
    FixtureResponse r{302, "text/plain", ""};
    r.headers = {{"Location", "/inside"}};
    return r;
  });
  s.route("GET", "/inside", [&](const FixtureRequest& r) {
    same_auth = r.header("Authorization");
    return FixtureResponse{200, "text/plain", "inside"};
  });
  s.start();
  ClientOptions o = loopback_options();
  o.ssrf.allow_cidrs = {"127.0.0.0/8"};
  HttpClient c(o);
  HttpRequest req{s.url("/away")};
  req.headers = {{"Authorization", "Bearer secret"}, {"X-Subscription-Token", "k"}, {"Accept", "text/plain"}};
  HttpResponse r = c.fetch(req);
  ASSERT_TRUE(r.ok()) << r.error.message;
  EXPECT_EQ(r.body, "landed");
  EXPECT_EQ(other_auth, "");
  EXPECT_EQ(other_accept, "text/plain");  // harmless headers still go
  req.url = s.url("/here");
  r = c.fetch(req);
  ASSERT_TRUE(r.ok()) << r.error.message;
  EXPECT_EQ(same_auth, "Bearer secret");  // same origin keeps them
}

TEST(HttpClient, RetryAfterHonouredWithinDeadline) {
  FixtureServer s;
  std::atomic<int> calls{0};
  s.route("GET", "/busy", [&](const FixtureRequest&) {
    if (calls++ == 0) {
      FixtureResponse res{429, "text/plain", "slow down"};
      res.headers = {{"Retry-After", "1"}};
      return res;
    }
    return FixtureResponse{200, "text/plain", "ok now"};
  });
  s.start();
  HttpClient c(loopback_options());
  auto t0 = Clock::now();
  HttpResponse r = c.get(s.url("/busy"));
  ASSERT_TRUE(r.ok()) << r.error.message;
  EXPECT_EQ(r.body, "ok now");
  EXPECT_EQ(r.retries, 1);
  EXPECT_GE(ms_since(t0), 950);
  EXPECT_EQ(calls.load(), 2);
}

TEST(HttpClient, LongRetryAfterFailsFastAndIsRemembered) {
  FixtureServer s;
  std::atomic<int> calls{0};
  s.route("GET", "/.*", [&](const FixtureRequest&) {
    calls++;
    FixtureResponse res{503, "text/plain", "maintenance"};
    res.headers = {{"Retry-After", "120"}};
    return res;
  });
  s.start();
  HttpClient c(loopback_options());
  auto t0 = Clock::now();
  HttpResponse r = c.get(s.url("/a"));
  EXPECT_EQ(r.error.kind, ErrorKind::rate_limited) << r.error.message;
  EXPECT_EQ(r.status, 503);
  r = c.get(s.url("/b"));  // same host: not contacted again while backing off
  EXPECT_EQ(r.error.kind, ErrorKind::rate_limited);
  EXPECT_EQ(calls.load(), 1);
  EXPECT_LT(ms_since(t0), 1000);
}

TEST(HttpClient, PerDomainRateLimitPacesRequests) {
  FixtureServer s;
  s.route("GET", "/.*", [](const FixtureRequest&) { return FixtureResponse{200, "text/plain", "x"}; });
  s.start();
  ClientOptions o = loopback_options();
  o.domains.requests_per_second = 10;  // one every 100 ms
  HttpClient c(o);
  auto t0 = Clock::now();
  auto rs = c.fetch_all({{s.url("/1")}, {s.url("/2")}, {s.url("/3")}, {s.url("/4")}}, 3000ms);
  for (auto& r : rs) EXPECT_TRUE(r.ok()) << r.error.message;
  EXPECT_GE(ms_since(t0), 290);
  // A deadline too short for the next slot is reported, not silently waited past.
  auto short_rs = c.fetch_all({{s.url("/5")}, {s.url("/6")}, {s.url("/7")}}, 120ms);
  int limited = 0;
  for (auto& r : short_rs) limited += r.error.kind == ErrorKind::rate_limited;
  EXPECT_GE(limited, 1);
}

TEST(HttpClient, DomainAllowAndDenyLists) {
  FixtureServer s;
  s.route("GET", "/.*", [](const FixtureRequest&) { return FixtureResponse{200, "text/plain", "x"}; });
  s.start();
  std::string port = std::to_string(s.port());
  ClientOptions o = loopback_options();
  o.resolve = {"docs.good.test:" + port + ":127.0.0.1", "ads.bad.test:" + port + ":127.0.0.1",
               "other.test:" + port + ":127.0.0.1"};
  o.domains.allow = {"good.test", "bad.test"};
  o.domains.deny = {"ads.bad.test"};
  HttpClient c(o);
  EXPECT_TRUE(c.get("http://docs.good.test:" + port + "/").ok());
  EXPECT_EQ(c.get("http://ads.bad.test:" + port + "/").error.kind, ErrorKind::blocked_domain);
  EXPECT_EQ(c.get("http://other.test:" + port + "/").error.kind, ErrorKind::blocked_domain);
  EXPECT_EQ(s.hits(), 1);
}

TEST(HttpClient, ProxyFromOptionsAndNoProxy) {
  FixtureServer proxy;
  std::string seen;
  proxy.route("GET", ".*", [&](const FixtureRequest& r) {
    seen = r.path;
    return FixtureResponse{200, "text/plain", "via proxy"};
  });
  proxy.start();
  ClientOptions o = loopback_options();
  o.proxy = "http://127.0.0.1:" + std::to_string(proxy.port());
  o.no_proxy = "internal.test";
  EXPECT_EQ(proxy_for_url("http://news.test/a", o), o.proxy);
  EXPECT_EQ(proxy_for_url("http://x.internal.test/a", o), "");
  HttpClient c(o);
  HttpResponse r = c.get("http://news.test/page?q=1");
  ASSERT_TRUE(r.ok()) << r.error.message;
  EXPECT_EQ(r.body, "via proxy");
  EXPECT_NE(seen.find("news.test"), std::string::npos) << seen;
  EXPECT_TRUE(no_proxy_matches("a.b.example.com", "foo.com, .example.com"));
  EXPECT_TRUE(no_proxy_matches("anything", "*"));
  EXPECT_FALSE(no_proxy_matches("example.community", "example.com"));
}

TEST(HttpClient, ProxyFromEnvironment) {
  ClientOptions o;
  setenv("https_proxy", "http://proxy.corp:3128", 1);
  setenv("no_proxy", "localhost,.intra", 1);
  EXPECT_EQ(proxy_for_url("https://example.com/", o), "http://proxy.corp:3128");
  EXPECT_EQ(proxy_for_url("https://wiki.intra/", o), "");
  EXPECT_EQ(proxy_for_url("http://example.com/", o), "");  // no http_proxy set
  unsetenv("https_proxy");
  unsetenv("no_proxy");
}

// HTTP/2 via nghttpd (Debian nghttp2-server): many requests, one connection.
class Http2Server : public ::testing::Test {
 protected:
  void SetUp() override {
    nghttpd = test::find_program("nghttpd");
    if (nghttpd.empty()) GTEST_SKIP() << "nghttpd not installed (apt-get install nghttp2-server)";
    for (int i = 0; i < 20; ++i)
      owlet::test::write_file(dir / ("p" + std::to_string(i) + ".html"), "<p>page " + std::to_string(i) + "</p>");
  }
  owlet::test::TempDir dir;
  std::string nghttpd;
  test::ChildServer server;
};

TEST_F(Http2Server, CleartextPriorKnowledge) {
  // h2c (no TLS). One request per connection here: libcurl 7.88 fails streams
  // on a reused prior-knowledge connection, so multiplexing is tested over TLS.
  int port = owlet::test::free_port();
  ASSERT_TRUE(server.start({nghttpd, "--no-tls", "-a", "127.0.0.1", "-d", dir.path().string(), std::to_string(port)}, port));
  ClientOptions o = loopback_options();
  o.http2_prior_knowledge = true;
  HttpClient c(o);
  HttpResponse r = c.get("http://127.0.0.1:" + std::to_string(port) + "/p1.html");
  ASSERT_TRUE(r.ok()) << r.error.message;
  EXPECT_EQ(r.http_version, "HTTP/2");
  EXPECT_EQ(r.text, "<p>page 1</p>");
}

TEST_F(Http2Server, TlsAlpnNegotiatesH2MultiplexesAndVerifiesCertificates) {
  std::string openssl = test::find_program("openssl");
  if (openssl.empty()) GTEST_SKIP() << "openssl not installed";
  std::string key = (dir / "key.pem").string(), cert = (dir / "cert.pem").string();
  auto gen = owlet::test::run_process({openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                                       "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
                                       "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  int port = owlet::test::free_port();
  ASSERT_TRUE(server.start({nghttpd, "-a", "127.0.0.1", "-d", dir.path().string(), std::to_string(port), key, cert}, port));
  std::string base = "https://localhost:" + std::to_string(port);
  ClientOptions o = loopback_options();
  o.resolve = {"localhost:" + std::to_string(port) + ":127.0.0.1"};
  {
    HttpClient untrusting(o);  // the system CA store does not know our test certificate
    HttpResponse r = untrusting.get(base + "/p3.html");
    EXPECT_EQ(r.error.kind, ErrorKind::tls) << r.error.message;
  }
  o.ca_file = cert;
  HttpClient c(o);
  std::vector<HttpRequest> reqs;
  for (int i = 0; i < 20; ++i) reqs.push_back({base + "/p" + std::to_string(i) + ".html"});
  auto rs = c.fetch_all(reqs, 5000ms);
  int conns = 0;
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(rs[i].ok()) << i << ": " << rs[i].error.message;
    EXPECT_EQ(rs[i].http_version, "HTTP/2");
    EXPECT_EQ(rs[i].text, "<p>page " + std::to_string(i) + "</p>");
    conns += rs[i].new_connections;
  }
  EXPECT_EQ(conns, 1) << "all 20 streams should share one connection";
  HttpResponse again = c.get(base + "/p0.html");  // next call reuses the warm connection
  ASSERT_TRUE(again.ok()) << again.error.message;
  EXPECT_EQ(again.new_connections, 0);
}

}  // namespace
}  // namespace owlet::web
