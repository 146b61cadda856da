// SSRF guard: classification of addresses, and enforcement on real requests —
// the blocked servers are real and listening, and must see no request at all.
#include <gtest/gtest.h>

#include "web/fixture_server.h"
#include "web/http_client.h"
#include "web/ssrf_guard.h"

namespace owlet::web {
namespace {

using test::FixtureRequest;
using test::FixtureResponse;
using test::FixtureServer;

TEST(SsrfGuard, BlocksPrivateRangesByDefault) {
  SsrfPolicy none;
  for (const char* ip : {"127.0.0.1", "127.1.2.3", "10.0.0.1", "172.16.5.4", "172.31.255.255", "192.168.1.1",
                         "169.254.169.254", "169.254.1.1", "100.64.0.1", "100.127.255.255", "0.0.0.0", "0.1.2.3",
                         "224.0.0.1", "239.255.255.250", "255.255.255.255", "::1", "::", "fc00::1", "fd12:3456::1",
                         "fe80::1", "ff02::1", "fd00:ec2::254", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
                         "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:7f00:1::1", "[::1]"}) {
    EXPECT_FALSE(check_ip(ip, none).allowed) << ip;
  }
  for (const char* ip : {"8.8.8.8", "1.1.1.1", "93.184.216.34", "172.32.0.1", "100.128.0.1", "2606:4700::1111",
                         "::ffff:8.8.8.8", "2001:4860:4860::8888"}) {
    EXPECT_TRUE(check_ip(ip, none).allowed) << ip;
  }
}

TEST(SsrfGuard, NamesTheReason) {
  SsrfPolicy none;
  EXPECT_EQ(check_ip("169.254.169.254", none).reason, "cloud metadata");
  EXPECT_EQ(check_ip("fd00:ec2::254", none).reason, "cloud metadata");
  EXPECT_EQ(check_ip("127.0.0.1", none).reason, "loopback");
  EXPECT_EQ(check_ip("100.64.1.1", none).reason, "carrier-grade NAT");
}

TEST(SsrfGuard, AllowListOpensOnlyWhatItNames) {
  SsrfPolicy p;
  p.allow_cidrs = {"127.0.0.1", "10.1.0.0/16", "::1"};
  EXPECT_TRUE(check_ip("127.0.0.1", p).allowed);
  EXPECT_FALSE(check_ip("127.0.0.2", p).allowed);
  EXPECT_TRUE(check_ip("10.1.200.3", p).allowed);
  EXPECT_FALSE(check_ip("10.2.0.1", p).allowed);
  EXPECT_TRUE(check_ip("::1", p).allowed);
  EXPECT_TRUE(check_ip("::ffff:127.0.0.1", p).allowed);  // same address, other spelling
  EXPECT_FALSE(check_ip("169.254.169.254", p).allowed);
}

TEST(SsrfGuard, OnlyHttpAndHttps) {
  SsrfPolicy none;
  EXPECT_EQ(check_url_static("file:///etc/passwd", none).kind, ErrorKind::invalid_url);
  EXPECT_EQ(check_url_static("gopher://example.com/", none).kind, ErrorKind::invalid_url);
  EXPECT_EQ(check_url_static("ftp://example.com/", none).kind, ErrorKind::invalid_url);
  EXPECT_TRUE(check_url_static("https://example.com/", none).ok());
  EXPECT_EQ(check_url_static("http://[::1]:8080/", none).kind, ErrorKind::blocked_address);
  EXPECT_EQ(check_url_static("http://2130706433/", none).kind, ErrorKind::blocked_address);  // 127.0.0.1 as a number
}

// A live server on loopback that must never be reached when blocked.
class SsrfFetch : public ::testing::Test {
 protected:
  void SetUp() override {
    server.route("GET", "/.*", [](const FixtureRequest&) { return FixtureResponse{200, "text/plain", "secret"}; });
    server.start();
  }
  FixtureServer server;
};

HttpResponse fetch_with(const SsrfPolicy& p, const std::string& url, std::vector<std::string> resolve = {}) {
  ClientOptions o;
  o.ssrf = p;
  o.resolve = std::move(resolve);
  o.request_timeout = std::chrono::milliseconds(3000);
  HttpClient c(o);
  return c.get(url);
}

TEST_F(SsrfFetch, LoopbackBlockedByDefaultAndAllowedWhenListed) {
  HttpResponse r = fetch_with({}, server.url("/x"));
  EXPECT_EQ(r.error.kind, ErrorKind::blocked_address) << r.error.message;
  EXPECT_EQ(server.hits(), 0);
  SsrfPolicy allow;
  allow.allow_cidrs = {"127.0.0.1"};
  r = fetch_with(allow, server.url("/x"));
  ASSERT_TRUE(r.ok()) << r.error.message;
  EXPECT_EQ(r.body, "secret");
  EXPECT_EQ(server.hits(), 1);
}

TEST_F(SsrfFetch, PrivateMetadataAndIpv6LiteralsBlocked) {
  for (const char* url : {"http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/", "http://[::1]/",
                          "http://[fd00:ec2::254]/", "http://0.0.0.0/", "http://[::ffff:127.0.0.1]/"}) {
    auto start = std::chrono::steady_clock::now();
    HttpResponse r = fetch_with({}, url);
    EXPECT_EQ(r.error.kind, ErrorKind::blocked_address) << url << ": " << r.error.message;
    // Refused before any connect attempt, so no waiting on an unroutable address.
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500)) << url;
  }
}

TEST_F(SsrfFetch, HostnameResolvingToLoopbackBlocked) {
  std::string url = "http://localhost:" + std::to_string(server.port()) + "/x";
  HttpResponse r = fetch_with({}, url);
  EXPECT_EQ(r.error.kind, ErrorKind::blocked_address) << r.error.message;
  EXPECT_NE(r.error.message.find("localhost"), std::string::npos) << r.error.message;
  EXPECT_EQ(server.hits(), 0);
}

TEST_F(SsrfFetch, PublicLookingNameThatResolvesPrivateBlockedAtConnect) {
  // DNS pinned like a rebinding attacker would answer: a public name -> 127.0.0.1.
  std::string pin = "news.example.com:" + std::to_string(server.port()) + ":127.0.0.1";
  std::string url = "http://news.example.com:" + std::to_string(server.port()) + "/x";
  HttpResponse r = fetch_with({}, url, {pin});
  EXPECT_EQ(r.error.kind, ErrorKind::blocked_address) << r.error.message;
  EXPECT_EQ(server.hits(), 0);
  // Control: the same pin with loopback allowed does reach the server.
  SsrfPolicy allow;
  allow.allow_cidrs = {"127.0.0.1"};
  r = fetch_with(allow, url, {pin});
  EXPECT_TRUE(r.ok()) << r.error.message;
  EXPECT_EQ(server.hits(), 1);
}

TEST(SsrfRedirect, AllowedServerRedirectingToBlockedAddressIsStopped) {
  FixtureServer inner("127.0.0.2");  // stands for an internal service
  inner.route("GET", "/.*", [](const FixtureRequest&) { return FixtureResponse{200, "text/plain", "internal"}; });
  inner.start();
  FixtureServer outer;  // the "public" site, allowed explicitly
  std::string target = inner.url("/admin");
  outer.route("GET", "/go", [target](const FixtureRequest&) {
    FixtureResponse r{302, "text/plain", ""};
    r.headers = {{"Location", target}};
    return r;
  });
  outer.route("GET", "/meta", [](const FixtureRequest&) {
    FixtureResponse r{301, "text/plain", ""};
    r.headers = {{"Location", "http://169.254.169.254/latest/meta-data/"}};
    return r;
  });
  outer.start();

  SsrfPolicy p;
  p.allow_cidrs = {"127.0.0.1"};
  HttpResponse r = fetch_with(p, outer.url("/go"));
  EXPECT_EQ(r.error.kind, ErrorKind::blocked_address) << r.error.message;
  EXPECT_EQ(inner.hits(), 0);
  EXPECT_EQ(outer.hits(), 1);
  r = fetch_with(p, outer.url("/meta"));
  EXPECT_EQ(r.error.kind, ErrorKind::blocked_address) << r.error.message;

  // Control: allowing the inner address lets the same redirect through.
  p.allow_cidrs = {"127.0.0.0/8"};
  r = fetch_with(p, outer.url("/go"));
  ASSERT_TRUE(r.ok()) << r.error.message;
  EXPECT_EQ(r.body, "internal");
  EXPECT_EQ(r.redirects, 1);
  EXPECT_EQ(r.effective_url, target);
}

}  // namespace
}  // namespace owlet::web
