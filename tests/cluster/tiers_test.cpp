// The cluster's Redis link and shared tiers against a real redis-server on
// loopback: URL parsing, the link through an outage, the answer and page tiers
// with Redis's own expiry, and shared back-off and pacing.
#include <gtest/gtest.h>

#include <ctime>
#include <thread>

#include "cluster/answer_store.h"
#include "cluster/keys.h"
#include "cluster/page_store.h"
#include "cluster/rate_store.h"
#include "cluster/redis_link.h"
#include "cluster/redis_url.h"
#include "cluster_fixture.h"
#include "kb/knowledge_base.h"
#include "kb/shared_answer_cache.h"
#include "kb/text.h"
#include "support/test_support.h"
#include "web/fixture_server.h"
#include "web/http_client.h"
#include "web/knowledge_cache.h"

using namespace owlet;
using namespace owlet::cluster;
using namespace owlet::cluster::test;

namespace {

RedisUrl url_of(const RedisServer& r) {
  RedisUrl u;
  Error e;
  EXPECT_TRUE(parse_redis_url(r.url(), &u, &e)) << e.message;
  return u;
}

class WithRedis : public ::testing::Test {
 protected:
  void SetUp() override {
    if (RedisServer::binary().empty()) GTEST_SKIP() << "redis-server is not installed (scripts/setup.sh installs it)";
    std::string err;
    ASSERT_TRUE(redis.start(dir.path() / "redis", &err)) << err;
  }
  // Two knowledge bases (replicas A and B) with Redis as their shared answer tier.
  void open_two_sharing(std::shared_ptr<RedisLink>* link, std::unique_ptr<kb::KnowledgeBase>* a,
                        std::unique_ptr<kb::KnowledgeBase>* b) {
    *link = std::make_shared<RedisLink>(url_of(redis));
    ASSERT_TRUE((*link)->maintain());
    Error err;
    *a = kb::KnowledgeBase::open((dir.path() / "a").string(), {}, &err);
    *b = kb::KnowledgeBase::open((dir.path() / "b").string(), {}, &err);
    ASSERT_TRUE(*a && *b) << err.message;
    (*a)->set_shared_answer_cache(std::make_shared<RedisAnswerCache>(*link, nullptr));
    (*b)->set_shared_answer_cache(std::make_shared<RedisAnswerCache>(*link, nullptr));
  }
  owlet::test::TempDir dir;
  RedisServer redis;
};

}  // namespace

TEST(RedisUrl, ParsesEveryPart) {
  RedisUrl u;
  Error e;
  ASSERT_TRUE(parse_redis_url("redis://127.0.0.1:6380/2", &u, &e)) << e.message;
  EXPECT_FALSE(u.tls);
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, 6380);
  EXPECT_EQ(u.db, 2);
  EXPECT_EQ(u.password, "");
  ASSERT_TRUE(parse_redis_url("rediss://:s%40cret:x@cache.internal", &u, &e)) << e.message;
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.host, "cache.internal");
  EXPECT_EQ(u.port, 6379);
  EXPECT_EQ(u.db, 0);
  EXPECT_EQ(u.user, "");
  EXPECT_EQ(u.password, "s@cret:x");
  ASSERT_TRUE(parse_redis_url("redis://owlet:pw@[::1]:7000/0", &u, &e)) << e.message;
  EXPECT_EQ(u.user, "owlet");
  EXPECT_EQ(u.password, "pw");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 7000);
  EXPECT_EQ(redacted(u), "redis://[::1]:7000/0");
}

TEST(RedisUrl, RejectsWhatItCannotUseWithoutEchoingSecrets) {
  RedisUrl u;
  for (const char* bad : {"http://h:1/0", "redis://", "redis://:topsecret@h:99999/0", "redis://h:1/db",
                          "redis://:topsecret%zz@h:1/0", "redis://[::1:1/0"}) {
    Error e;
    EXPECT_FALSE(parse_redis_url(bad, &u, &e)) << bad;
    EXPECT_EQ(e.kind, ErrorKind::bad_request) << bad;
    EXPECT_EQ(e.message.find("topsecret"), std::string::npos) << e.message;
  }
}

TEST_F(WithRedis, LinkRunsCommandsAndRidesOutAnOutage) {
  RedisLink link(url_of(redis), {std::chrono::milliseconds(300), std::chrono::milliseconds(1000),
                                 std::chrono::milliseconds(50), std::chrono::milliseconds(200), 4});
  EXPECT_FALSE(link.up());
  ASSERT_TRUE(link.maintain());
  Reply r;
  Error e;
  ASSERT_TRUE(link.run({"SET", "owlet:test", "1"}, &r, &e)) << e.message;
  std::vector<Reply> rs;
  ASSERT_TRUE(link.run({{"INCR", "owlet:test"}, {"GET", "owlet:test"}}, &rs, &e));
  EXPECT_EQ(rs[0].integer, 2);
  EXPECT_EQ(rs[1].str, "2");
  ASSERT_TRUE(link.run({"NOSUCHCOMMAND"}, &r, &e));  // Redis's error is a reply, not a broken link
  EXPECT_TRUE(r.is_error());
  EXPECT_TRUE(link.up());

  redis.stop();
  EXPECT_FALSE(link.run({"GET", "owlet:test"}, &r, &e));
  EXPECT_FALSE(link.up());
  // While down, calls fail at once without trying to connect.
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i) {
    EXPECT_FALSE(link.run({"GET", "owlet:test"}, &r, &e));
    EXPECT_EQ(e.kind, ErrorKind::unavailable);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  for (int i = 0; i < 5; ++i) link.maintain();
  EXPECT_EQ(link.outages(), 1u);  // one outage, however many calls failed during it

  std::string err;
  ASSERT_TRUE(redis.restart(&err)) << err;
  ASSERT_TRUE(wait_until([&] { return link.maintain(); }, 5s));
  ASSERT_TRUE(link.run({"GET", "owlet:test"}, &r, &e)) << e.message;
  EXPECT_EQ(r.str, "2");  // the append-only file kept it
  EXPECT_EQ(link.outages(), 1u);
}

TEST_F(WithRedis, LinkAuthenticatesAndSelectsTheDatabase) {
  redis.stop();
  redis.extra_args = {"--requirepass", "pw-for-tests"};
  redis.password = "pw-for-tests";
  std::string err;
  ASSERT_TRUE(redis.restart(&err)) << err;
  RedisUrl u = url_of(redis);
  u.password = "pw-for-tests";
  u.db = 3;
  RedisLink good(u);
  ASSERT_TRUE(good.maintain());
  Reply r;
  ASSERT_TRUE(good.run({"SET", "owlet:db3", "x"}, &r, nullptr));
  auto c = redis.connect();
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->run({"EXISTS", "owlet:db3"}, &r, nullptr));
  EXPECT_EQ(r.integer, 0);  // not in db 0
  ASSERT_TRUE(c->run({"SELECT", "3"}, &r, nullptr));
  ASSERT_TRUE(c->run({"EXISTS", "owlet:db3"}, &r, nullptr));
  EXPECT_EQ(r.integer, 1);
  u.password = "wrong";
  Error e;
  EXPECT_FALSE(RedisConnection::open(u, std::chrono::milliseconds(500), std::chrono::milliseconds(500), &e));
  EXPECT_EQ(e.kind, ErrorKind::forbidden) << e.message;
}

TEST(RedisLinkTls, SaysWhenThisBuildCannotSpeakTls) {
  Error e;
  if (RedisLink::tls_supported(&e)) GTEST_SKIP() << "built with hiredis_ssl";
  EXPECT_EQ(e.kind, ErrorKind::unsupported);
  EXPECT_NE(e.message.find("hiredis"), std::string::npos);
}

TEST_F(WithRedis, AnswerTierSharesAnswersWithRedisExpiry) {
  std::shared_ptr<RedisLink> link;
  std::unique_ptr<kb::KnowledgeBase> a, b;
  open_two_sharing(&link, &a, &b);
  if (HasFatalFailure()) return;
  Error err;
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  kb::CachedAnswer e;
  e.question = "Why do owls hoot at night?";
  e.answer = "To claim territory [1].";
  e.route = R"({"tier":"web-deep","engine":"llm"})";
  e.created_at = now;
  e.expires_at = now + 600;  // a "fast" freshness class
  ASSERT_TRUE(a->cache_put(e, &err)) << err.message;
  EXPECT_FALSE(b->cache_get("Why do owls hoot at night?", now) == std::nullopt) << "B misses what A cached";
  auto hit = b->cache_get("why do OWLS hoot at night", now);  // normalized the same way
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->answer, "To claim territory [1].");
  EXPECT_EQ(hit->expires_at, now + 600);
  // Redis holds it with its own expiry, matching the freshness class.
  Reply r;
  ASSERT_TRUE(link->run({"PTTL", keys::answer(kb::shared_answer_key(e.question, e.variant))}, &r, nullptr));
  EXPECT_GT(r.integer, 590 * 1000);
  EXPECT_LE(r.integer, 600 * 1000);
  // B keeps a local copy in front: it still answers with Redis gone.
  redis.stop();
  EXPECT_TRUE(b->cache_get("Why do owls hoot at night?", now));
  EXPECT_FALSE(b->cache_get("A question nobody asked", now));  // a miss, not an error
}

// An answer is shared for the variant it was made for (its model, engine and
// options): another model's request for the same question misses in Redis too.
TEST_F(WithRedis, SharedAnswersKeepTheirVariant) {
  std::shared_ptr<RedisLink> link;
  std::unique_ptr<kb::KnowledgeBase> a, b;
  open_two_sharing(&link, &a, &b);
  if (HasFatalFailure()) return;
  Error err;
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  kb::CachedAnswer e;
  e.question = "What do snowy owls eat?";
  e.answer = "Lemmings [1].";
  e.variant = "model-a";
  e.created_at = now;
  e.expires_at = now + 600;
  ASSERT_TRUE(a->cache_put(e, &err)) << err.message;
  EXPECT_FALSE(b->cache_get(e.question, "model-b", now)) << "another model's answer";
  auto hit = b->cache_get(e.question, "model-a", now);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->variant, "model-a");
  EXPECT_EQ(hit->answer, "Lemmings [1].");
}

TEST_F(WithRedis, AnswerTierExpiresByItself) {
  auto link = std::make_shared<RedisLink>(url_of(redis));
  ASSERT_TRUE(link->maintain());
  RedisAnswerCache tier(link, nullptr);
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  kb::CachedAnswer e;
  e.question = "q";
  e.answer = "a";
  e.expires_at = now + 1;
  tier.put("q", e);
  EXPECT_TRUE(tier.get("q"));
  EXPECT_TRUE(wait_until([&] { return !tier.get("q"); }, 5s, 100ms));
  e.expires_at = now - 5;  // already expired: never stored
  tier.put("q2", e);
  EXPECT_FALSE(tier.get("q2"));
}

TEST_F(WithRedis, PageTierServesWhatAnotherReplicaFetched) {
  auto link = std::make_shared<RedisLink>(url_of(redis));
  ASSERT_TRUE(link->maintain());
  web::KnowledgeCache a, b;
  a.set_shared(std::make_shared<RedisPageCache>(link, nullptr));
  b.set_shared(std::make_shared<RedisPageCache>(link, nullptr));
  ASSERT_TRUE(a.put("page:https://example.org/owls", "{\"text\":\"owls\"}", std::chrono::seconds(3600)));
  auto v = b.get("page:https://example.org/owls");
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, "{\"text\":\"owls\"}");
  EXPECT_EQ(b.stats().shared_hits, 1u);
  EXPECT_EQ(b.stats().entries, 1u);  // kept in front
  Reply r;
  ASSERT_TRUE(link->run({"PTTL", keys::page("page:https://example.org/owls")}, &r, nullptr));
  EXPECT_GT(r.integer, 3590 * 1000);
  EXPECT_FALSE(b.get("page:https://example.org/other"));
  EXPECT_EQ(b.stats().misses, 1u);
  redis.stop();
  EXPECT_TRUE(b.get("page:https://example.org/owls"));        // local copy
  EXPECT_TRUE(a.put("page:x", "y", std::chrono::seconds(60)));  // still caches locally
  EXPECT_TRUE(a.get("page:x"));
}

TEST_F(WithRedis, PacingWindowsAreSharedAcrossClients) {
  auto link = std::make_shared<RedisLink>(url_of(redis));
  ASSERT_TRUE(link->maintain());
  RedisLimits one(link), two(link);  // two replicas
  using namespace std::chrono;
  // The start of a whole second a little in the future: window boundaries are known.
  const auto t = system_clock::time_point(seconds(duration_cast<seconds>(system_clock::now().time_since_epoch()).count() + 5));
  web::SharedLimits::TimePoint slot;
  Error e;
  ASSERT_TRUE(one.reserve("api.example", 2.0, t, t + milliseconds(500), &slot, &e)) << e.message;
  EXPECT_EQ(slot, t);
  ASSERT_TRUE(two.reserve("api.example", 2.0, t, t + milliseconds(500), &slot, &e));
  EXPECT_EQ(slot, t);
  // Two per second, both taken: the third (from either replica) waits for the next window...
  EXPECT_FALSE(one.reserve("api.example", 2.0, t, t + milliseconds(500), &slot, &e));
  EXPECT_EQ(e.kind, ErrorKind::rate_limited);
  ASSERT_TRUE(two.reserve("api.example", 2.0, t, t + milliseconds(1500), &slot, &e));
  EXPECT_EQ(slot, t + seconds(1));
  // ...while another host has its own budget.
  ASSERT_TRUE(one.reserve("other.example", 2.0, t, t + milliseconds(500), &slot, &e));
  EXPECT_EQ(slot, t);
  // A redis that is gone is "unavailable": the client paces alone.
  redis.stop();
  EXPECT_FALSE(one.reserve("api.example", 2.0, t, t + seconds(10), &slot, &e));
  EXPECT_EQ(e.kind, ErrorKind::unavailable);
}

TEST_F(WithRedis, BackOffAskedOfOneReplicaHoldsForAll) {
  web::test::FixtureServer site;
  site.route("GET", "/limited", [](const web::test::FixtureRequest&) {
    web::test::FixtureResponse r;
    r.status = 429;
    r.headers = {{"Retry-After", "30"}};
    r.body = "slow down";
    return r;
  });
  site.start();
  auto link = std::make_shared<RedisLink>(url_of(redis));
  ASSERT_TRUE(link->maintain());
  web::ClientOptions co;
  co.ssrf.allow_cidrs = {"127.0.0.1"};
  co.domains.max_retries = 0;
  web::HttpClient a(co), b(co), loner(co);
  a.set_shared_limits(std::make_shared<RedisLimits>(link));
  b.set_shared_limits(std::make_shared<RedisLimits>(link));
  EXPECT_EQ(a.get(site.url("/limited")).status, 429);
  EXPECT_EQ(site.hits(), 1);
  web::HttpResponse r = b.get(site.url("/limited"));  // B never asked, but A was told
  EXPECT_EQ(r.error.kind, ErrorKind::rate_limited) << r.error.message;
  EXPECT_EQ(site.hits(), 1);
  loner.get(site.url("/limited"));  // a client outside the cluster does not know
  EXPECT_EQ(site.hits(), 2);
}
