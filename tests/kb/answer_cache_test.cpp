// The answer cache never outlives its knowledge: an answer remembers the
// documents it cites and goes when one of them is removed or replaced (in the
// same transaction, from any process), an answer that found nothing goes with
// any change, and a shared tier is told. Real SQLite in temp dirs.
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <set>

#include "kb/knowledge_base.h"
#include "kb/shared_answer_cache.h"
#include "support/test_support.h"

namespace owlet::kb {
namespace {

using owlet::test::TempDir;

std::unique_ptr<KnowledgeBase> open_kb(const TempDir& dir) {
  owlet::Error err;
  auto kb = KnowledgeBase::open(dir.path().string(), {}, &err);
  EXPECT_TRUE(kb) << err;
  return kb;
}

Document doc(std::string source, std::string text) {
  Document d;
  d.source = std::move(source);
  d.text = std::move(text);
  return d;
}

CachedAnswer answer(std::string question, std::vector<std::string> cites, bool nothing = false) {
  CachedAnswer a;
  a.question = std::move(question);
  a.variant = "extractive";
  a.answer = "an answer";
  a.cites = std::move(cites);
  a.found_nothing = nothing;
  return a;
}

// A shared tier in memory that records what it is told (the Redis tier is
// tested against a real redis-server in tests/cluster).
struct RecordingTier : SharedAnswerCache {
  std::mutex mu;
  std::map<std::string, CachedAnswer> entries;
  std::vector<std::string> dropped;
  int cleared = 0;
  std::optional<CachedAnswer> get(const std::string& key) override {
    std::lock_guard l(mu);
    auto it = entries.find(key);
    if (it == entries.end()) return std::nullopt;
    return it->second;
  }
  void put(const std::string& key, const CachedAnswer& e) override {
    std::lock_guard l(mu);
    entries[key] = e;
  }
  int64_t drop_citing(const std::string& source) override {
    std::lock_guard l(mu);
    dropped.push_back(source);
    return std::erase_if(entries, [&](const auto& kv) {
      return std::find(kv.second.cites.begin(), kv.second.cites.end(), source) != kv.second.cites.end();
    });
  }
  int64_t clear() override {
    std::lock_guard l(mu);
    ++cleared;
    const int64_t n = static_cast<int64_t>(entries.size());
    entries.clear();
    return n;
  }
};

TEST(AnswerCache, RemovingADocumentDropsTheAnswersCitingIt) {
  TempDir dir;
  auto kb = open_kb(dir);
  ASSERT_EQ(kb->add(doc("notes/wifi.txt", "The guest Wi-Fi password is hoot-hoot-42.")).status, AddStatus::kAdded);
  ASSERT_EQ(kb->add(doc("notes/owls.txt", "Tawny owls hoot at dusk in the old wood.")).status, AddStatus::kAdded);
  owlet::Error err;
  ASSERT_TRUE(kb->cache_put(answer("what is the guest wifi password", {"notes/wifi.txt"}), &err)) << err;
  ASSERT_TRUE(kb->cache_put(answer("wifi and owls", {"notes/wifi.txt", "notes/owls.txt"}), &err)) << err;
  ASSERT_TRUE(kb->cache_put(answer("when do owls hoot", {"notes/owls.txt"}), &err)) << err;
  auto hit = kb->cache_get("what is the guest wifi password", "extractive");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->cites, std::vector<std::string>{"notes/wifi.txt"}) << "an answer remembers what it cites";

  bool found = false;
  int64_t dropped = -1;
  ASSERT_TRUE(kb->remove("notes/wifi.txt", &found, &err, &dropped)) << err;
  EXPECT_TRUE(found);
  EXPECT_EQ(dropped, 2);
  EXPECT_FALSE(kb->cache_get("what is the guest wifi password", "extractive"));
  EXPECT_FALSE(kb->cache_get("wifi and owls", "extractive"));
  EXPECT_TRUE(kb->cache_get("when do owls hoot", "extractive")) << "an answer citing other documents stays";
  EXPECT_EQ(kb->stats().cached_answers, 1);
}

TEST(AnswerCache, ReplacingADocumentDropsItsAnswersAndAnotherProcessSeesIt) {
  TempDir dir;
  auto server = open_kb(dir);
  auto cli = open_kb(dir);  // a second connection, as `owlet ingest` beside `owlet serve`
  ASSERT_EQ(server->add(doc("notes/wifi.txt", "The guest Wi-Fi password is hoot-hoot-42.")).status, AddStatus::kAdded);
  owlet::Error err;
  ASSERT_TRUE(server->cache_put(answer("what is the guest wifi password", {"notes/wifi.txt"}), &err)) << err;
  AddResult r = cli->add(doc("notes/wifi.txt", "The guest Wi-Fi password is now tawny-77."));
  EXPECT_EQ(r.status, AddStatus::kReplaced);
  EXPECT_EQ(r.dropped_answers, 1);
  EXPECT_FALSE(server->cache_get("what is the guest wifi password", "extractive"));
  // Unchanged text changes nothing.
  ASSERT_TRUE(server->cache_put(answer("what is the guest wifi password", {"notes/wifi.txt"}), &err)) << err;
  r = cli->add(doc("notes/wifi.txt", "The guest Wi-Fi password is now tawny-77."));
  EXPECT_EQ(r.status, AddStatus::kUnchanged);
  EXPECT_TRUE(server->cache_get("what is the guest wifi password", "extractive"));
}

TEST(AnswerCache, NothingFoundLastsOnlyUntilTheKnowledgeChanges) {
  TempDir dir;
  auto kb = open_kb(dir);
  owlet::Error err;
  ASSERT_TRUE(kb->cache_put(answer("what colour is my bicycle", {}, /*nothing=*/true), &err)) << err;
  ASSERT_TRUE(kb->cache_put(answer("when do owls hoot", {"https://example.org/owls"}), &err)) << err;
  ASSERT_TRUE(kb->cache_get("what colour is my bicycle", "extractive"));
  AddResult r = kb->add(doc("bike.md", "My bicycle is a green Dutch city bike."));
  EXPECT_EQ(r.status, AddStatus::kAdded);
  EXPECT_EQ(r.dropped_answers, 1);
  EXPECT_FALSE(kb->cache_get("what colour is my bicycle", "extractive"));
  EXPECT_TRUE(kb->cache_get("when do owls hoot", "extractive")) << "a new document does not touch answers that found sources";
}

TEST(AnswerCache, SharedTierIsToldAndNeverGetsNothingFound) {
  TempDir dir;
  auto kb = open_kb(dir);
  auto tier = std::make_shared<RecordingTier>();
  kb->set_shared_answer_cache(tier);
  ASSERT_EQ(kb->add(doc("notes/wifi.txt", "The guest Wi-Fi password is hoot-hoot-42.")).status, AddStatus::kAdded);
  owlet::Error err;
  ASSERT_TRUE(kb->cache_put(answer("what is the guest wifi password", {"notes/wifi.txt"}), &err)) << err;
  ASSERT_TRUE(kb->cache_put(answer("what colour is my bicycle", {}, true), &err)) << err;
  EXPECT_EQ(tier->entries.size(), 1u) << "an answer that found nothing is this knowledge base's alone";
  // Replaced: the shared answers citing it go too.
  EXPECT_EQ(kb->add(doc("notes/wifi.txt", "The password is tawny-77.")).status, AddStatus::kReplaced);
  EXPECT_EQ(tier->dropped, std::vector<std::string>{"notes/wifi.txt"});
  EXPECT_TRUE(tier->entries.empty());
  // Removed: likewise.
  bool found = false;
  ASSERT_TRUE(kb->remove("notes/wifi.txt", &found, &err)) << err;
  EXPECT_EQ(tier->dropped.size(), 2u);
  // A shared entry citing a document this knowledge base stored after the
  // answer was made is stale (another replica's replacement): not served.
  ASSERT_EQ(kb->add(doc("notes/owls.txt", "Owls hoot.")).status, AddStatus::kAdded);
  CachedAnswer old = answer("do owls hoot", {"notes/owls.txt"});
  old.created_at = 1000;  // long before the document's fetched_at
  tier->put(shared_answer_key("do owls hoot", "extractive"), old);
  EXPECT_FALSE(kb->cache_get("do owls hoot", "extractive"));
  CachedAnswer fresh = old;
  fresh.created_at = 4'000'000'000;  // after it
  tier->put(shared_answer_key("do owls hoot", "extractive"), fresh);
  auto hit = kb->cache_get("do owls hoot", "extractive");
  ASSERT_TRUE(hit) << "a shared answer newer than its sources is served";
  EXPECT_TRUE(kb->cache_get("do owls hoot", "extractive")) << "and copied locally";
  EXPECT_EQ(kb->stats().cached_answers, 1);
  // Clear: both tiers.
  EXPECT_EQ(kb->cache_clear(&err), 1);
  EXPECT_EQ(tier->cleared, 1);
  EXPECT_FALSE(kb->cache_get("do owls hoot", "extractive"));
}

TEST(AnswerCache, HitFiguresPersistAcrossProcesses) {
  TempDir dir;
  {
    auto kb = open_kb(dir);
    kb->cache_count(CacheHitKind::miss);
    kb->cache_count(CacheHitKind::exact);
    kb->cache_count(CacheHitKind::exact);
    kb->cache_count(CacheHitKind::paraphrase);
    AnswerCacheStats s = kb->cache_stats();
    EXPECT_EQ(s.lookups, 4);
    EXPECT_EQ(s.hits_exact, 2);
    EXPECT_EQ(s.hits_paraphrase, 1);
    owlet::Error err;
    ASSERT_TRUE(kb->cache_put(answer("when do owls hoot", {}), &err)) << err;
  }  // closed: the figures are written
  auto kb = open_kb(dir);
  kb->cache_count(CacheHitKind::exact);
  AnswerCacheStats s = kb->stats().answer_cache;
  EXPECT_EQ(s.lookups, 5);
  EXPECT_EQ(s.hits_exact, 3);
  EXPECT_EQ(s.hits_paraphrase, 1);
  EXPECT_EQ(s.entries, 1);
  EXPECT_GT(s.bytes, 10);
}

}  // namespace
}  // namespace owlet::kb
