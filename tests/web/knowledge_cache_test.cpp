// Knowledge cache: byte bound, LRU order, TTL, counters, and concurrent use.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "web/knowledge_cache.h"

namespace owlet::web {
namespace {

using namespace std::chrono_literals;

struct FakeClock {
  std::chrono::steady_clock::time_point t{};
  std::function<std::chrono::steady_clock::time_point()> fn() {
    return [this] { return t; };
  }
};

constexpr std::size_t kOverhead = KnowledgeCache::kEntryOverhead;

TEST(KnowledgeCache, HitMissAndCounters) {
  KnowledgeCache c;
  EXPECT_EQ(c.get("a"), nullptr);
  EXPECT_TRUE(c.put("a", "alpha"));
  auto v = c.get("a");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(*v, "alpha");
  auto s = c.stats();
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.misses, 1u);
  EXPECT_EQ(s.entries, 1u);
  EXPECT_EQ(s.bytes, 1 + 5 + kOverhead);
  EXPECT_DOUBLE_EQ(s.hit_rate(), 0.5);
}

TEST(KnowledgeCache, EvictsLeastRecentlyUsedWithinByteBound) {
  KnowledgeCacheOptions o;
  o.max_bytes = 3 * (1 + 100 + kOverhead);  // room for exactly three entries
  KnowledgeCache c(o);
  c.put("a", std::string(100, 'a'));
  c.put("b", std::string(100, 'b'));
  c.put("c", std::string(100, 'c'));
  ASSERT_NE(c.get("a"), nullptr);  // a is now most recent; b is the coldest
  c.put("d", std::string(100, 'd'));
  EXPECT_EQ(c.get("b"), nullptr);
  EXPECT_NE(c.get("a"), nullptr);
  EXPECT_NE(c.get("c"), nullptr);
  EXPECT_NE(c.get("d"), nullptr);
  EXPECT_EQ(c.stats().evictions, 1u);
  EXPECT_LE(c.stats().bytes, o.max_bytes);
  // A big value pushes out as many as needed; one bigger than the cache is refused.
  c.put("big", std::string(250, 'x'));
  EXPECT_LE(c.stats().bytes, o.max_bytes);
  EXPECT_NE(c.get("big"), nullptr);
  EXPECT_FALSE(c.put("huge", std::string(o.max_bytes, 'x')));
  EXPECT_EQ(c.get("huge"), nullptr);
}

TEST(KnowledgeCache, ReplacingAKeyRechargesItsSize) {
  KnowledgeCache c;
  c.put("k", std::string(1000, 'x'));
  c.put("k", "small");
  EXPECT_EQ(c.stats().bytes, 1 + 5 + kOverhead);
  EXPECT_EQ(c.stats().entries, 1u);
  EXPECT_EQ(*c.get("k"), "small");
}

TEST(KnowledgeCache, EntriesExpireAfterTtl) {
  FakeClock clock;
  KnowledgeCacheOptions o;
  o.default_ttl = 60s;
  o.clock = clock.fn();
  KnowledgeCache c(o);
  c.put("news", "today's headline", 10s);
  c.put("page", "evergreen");
  clock.t += 9s;
  EXPECT_NE(c.get("news"), nullptr);
  clock.t += 2s;
  EXPECT_EQ(c.get("news"), nullptr);
  EXPECT_NE(c.get("page"), nullptr);
  clock.t += 60s;
  EXPECT_EQ(c.get("page"), nullptr);
  auto s = c.stats();
  EXPECT_EQ(s.expirations, 2u);
  EXPECT_EQ(s.entries, 0u);
  EXPECT_EQ(s.bytes, 0u);
}

TEST(KnowledgeCache, ConcurrentReadersAndWritersStayConsistent) {
  KnowledgeCacheOptions o;
  o.max_bytes = 64 * 1024;
  KnowledgeCache c(o);
  std::atomic<bool> wrong{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5000; ++i) {
        std::string key = "k" + std::to_string((i * 7 + t) % 300);
        if (i % 3 == 0) {
          c.put(key, std::string(100 + (i % 50), key.back()));
        } else if (auto v = c.get(key)) {
          if (v->empty() || v->back() != key.back()) wrong = true;  // value must match its key
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_FALSE(wrong);
  auto s = c.stats();
  EXPECT_LE(s.bytes, o.max_bytes);
  EXPECT_GT(s.hits, 0u);
  EXPECT_GT(s.evictions, 0u);
  EXPECT_EQ(s.hits + s.misses, 4u * 5000u - 4u * 1667u);
}

}  // namespace
}  // namespace owlet::web
