// Warm tier: HNSW over injected embeddings, persistence, rebuilds, and fusion.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "kb/knowledge_base.h"
#include "kb/vector_index.h"
#include "kb_test_util.h"
#include "support/test_support.h"

namespace owlet::kb {
namespace {

using owlet::test::TempDir;
using testing::hashing_embedder;
namespace fs = std::filesystem;

Document doc(std::string source, std::string text) {
  Document d;
  d.source = std::move(source);
  d.text = std::move(text);
  return d;
}

const char* kTopics[] = {
    "Owls hunt at night using silent flight and keen hearing.",
    "Sourdough bread needs a starter, flour, water and salt.",
    "The Rhine flows from the Swiss Alps to the North Sea.",
    "Compilers translate source code into machine instructions.",
    "Volcanoes erupt when magma pressure exceeds the crust strength.",
    "Chess openings like the Sicilian defence shape the middlegame.",
};

void add_topics(KnowledgeBase& kb) {
  int i = 0;
  for (const char* t : kTopics) ASSERT_TRUE(kb.add(doc("t" + std::to_string(i++), t)).ok());
}

TEST(VectorIndex, FindsNearestAndHonoursDeletes) {
  VectorIndex idx(64);
  owlet::Error err;
  for (int i = 0; i < 6; ++i) {
    auto v = testing::hash_embed(kTopics[i], 64);
    l2_normalize(&v);
    ASSERT_TRUE(idx.add(100 + i, v.data(), &err)) << err;
  }
  auto q = testing::hash_embed("silent flight of owls at night", 64);
  l2_normalize(&q);
  auto hits = idx.search(q.data(), 3);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].first, 100);
  EXPECT_GT(hits[0].second, 0.3f);
  idx.remove(100);
  hits = idx.search(q.data(), 3);
  ASSERT_FALSE(hits.empty());
  EXPECT_NE(hits[0].first, 100);
  EXPECT_EQ(idx.size(), 5u);
}

TEST(WarmTier, OffWithoutEmbedderAndSearchStillWorks) {
  TempDir dir;
  owlet::Error err;
  auto kb = KnowledgeBase::open(dir.path().string(), {}, &err);
  ASSERT_TRUE(kb) << err;
  add_topics(*kb);
  auto r = kb->search("owls", 3);
  EXPECT_FALSE(r.warm_used);
  ASSERT_EQ(r.hits.size(), 1u);
  EXPECT_FALSE(kb->stats().warm_enabled);
  EXPECT_FALSE(fs::exists(dir.path() / "kb.hnsw"));
}

TEST(WarmTier, VectorsFindWhatKeywordsMissAndFusionRanksBothFirst) {
  TempDir dir;
  KbOptions opts;
  opts.embedder = hashing_embedder();
  owlet::Error err;
  auto kb = KnowledgeBase::open(dir.path().string(), opts, &err);
  ASSERT_TRUE(kb) << err;
  add_topics(*kb);
  EXPECT_EQ(kb->stats().vectors, 6);
  EXPECT_EQ(kb->stats().warm_live, 6);

  // "owls night" matches t0 in both tiers; the query also contains "bread"
  // which only t1 has (hot), so t0 (both tiers) must be fused first.
  auto r = kb->search("owls hunt night silent bread", 6);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_TRUE(r.warm_used);
  ASSERT_GE(r.hits.size(), 2u);
  EXPECT_EQ(r.hits[0].source, "t0");
  EXPECT_GT(r.hits[0].hot_rank, 0);
  EXPECT_EQ(r.hits[0].warm_rank, 1);
  EXPECT_NEAR(r.hits[0].fused_score, 1.0 / (60 + r.hits[0].hot_rank) + 1.0 / 61, 1e-12);
  for (size_t i = 1; i < r.hits.size(); ++i) {
    EXPECT_GE(r.hits[i - 1].fused_score, r.hits[i].fused_score);
    EXPECT_EQ(r.hits[i].fused_rank, static_cast<int>(i + 1));
  }
  // Warm-only hits carry a warm rank and no hot rank.
  bool warm_only = false;
  for (const auto& h : r.hits) warm_only |= (h.hot_rank == 0 && h.warm_rank > 0);
  EXPECT_TRUE(warm_only);
}

TEST(WarmTier, IncrementalAddRemoveAndReplace) {
  TempDir dir;
  KbOptions opts;
  opts.embedder = hashing_embedder();
  owlet::Error err;
  auto kb = KnowledgeBase::open(dir.path().string(), opts, &err);
  ASSERT_TRUE(kb) << err;
  add_topics(*kb);
  bool found = false;
  ASSERT_TRUE(kb->remove("t0", &found, &err));
  EXPECT_EQ(kb->stats().warm_live, 5);
  for (const auto& h : kb->search("owls hunt night", 6).hits) EXPECT_NE(h.source, "t0");
  ASSERT_EQ(kb->add(doc("t1", "Owls again: barn owls hunt mice at night.")).status, AddStatus::kReplaced);
  auto r = kb->search("owls hunt night", 1);
  ASSERT_EQ(r.hits.size(), 1u);
  EXPECT_EQ(r.hits[0].source, "t1");
  EXPECT_EQ(r.hits[0].warm_rank, 1);
  EXPECT_EQ(kb->stats().warm_live, 5);
}

TEST(WarmTier, PersistsAndReloadsWithoutReembedding) {
  TempDir dir;
  int calls = 0;
  KbOptions opts;
  opts.embedder = hashing_embedder(64, "hash-64", &calls);
  owlet::Error err;
  {
    auto kb = KnowledgeBase::open(dir.path().string(), opts, &err);
    ASSERT_TRUE(kb) << err;
    add_topics(*kb);
  }
  ASSERT_TRUE(fs::exists(dir.path() / "kb.hnsw"));
  const auto saved_at = fs::last_write_time(dir.path() / "kb.hnsw");
  calls = 0;
  auto kb = KnowledgeBase::open(dir.path().string(), opts, &err);
  ASSERT_TRUE(kb) << err;
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(kb->stats().warm_rebuild_reason, "");
  EXPECT_EQ(kb->stats().warm_live, 6);
  EXPECT_EQ(kb->search("volcano magma crust", 1).hits.at(0).source, "t4");
  EXPECT_EQ(calls, 1) << "only the query is embedded";
  // A session that only reads does not rewrite the snapshot.
  kb.reset();
  EXPECT_EQ(fs::last_write_time(dir.path() / "kb.hnsw"), saved_at);
}

TEST(WarmTier, CorruptedIndexFileIsRebuilt) {
  TempDir dir;
  KbOptions opts;
  opts.embedder = hashing_embedder();
  owlet::Error err;
  {
    auto kb = KnowledgeBase::open(dir.path().string(), opts, &err);
    ASSERT_TRUE(kb) << err;
    add_topics(*kb);
  }
  const fs::path idx = dir.path() / "kb.hnsw";
  {
    // Garbage in the middle of the graph, same size.
    std::fstream f(idx, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(idx) / 2));
    for (int i = 0; i < 64; ++i) f.put(static_cast<char>(0xA5));
  }
  auto kb = KnowledgeBase::open(dir.path().string(), opts, &err);
  ASSERT_TRUE(kb) << err;
  EXPECT_EQ(kb->stats().warm_rebuild_reason, "index file checksum mismatch");
  EXPECT_EQ(kb->stats().warm_live, 6);
  auto r = kb->search("compilers machine instructions", 1);
  ASSERT_EQ(r.hits.size(), 1u);
  EXPECT_EQ(r.hits[0].source, "t3");
  EXPECT_EQ(r.hits[0].warm_rank, 1);

  // Truncated to nothing, and deleted: both rebuilt too.
  kb.reset();
  fs::resize_file(idx, 10);
  kb = KnowledgeBase::open(dir.path().string(), opts, &err);
  ASSERT_TRUE(kb) << err;
  EXPECT_EQ(kb->stats().warm_live, 6);
  kb.reset();
  fs::remove(idx);
  kb = KnowledgeBase::open(dir.path().string(), opts, &err);
  ASSERT_TRUE(kb) << err;
  EXPECT_EQ(kb->stats().warm_rebuild_reason, "no index file");
  EXPECT_EQ(kb->stats().warm_live, 6);
}

TEST(WarmTier, IndexBehindTheDatabaseIsRebuilt) {
  TempDir dir;
  KbOptions with;
  with.embedder = hashing_embedder();
  owlet::Error err;
  {
    auto kb = KnowledgeBase::open(dir.path().string(), with, &err);
    ASSERT_TRUE(kb) << err;
    add_topics(*kb);
  }
  {
    // Someone writes without the warm tier (e.g. an ingest run without a model).
    auto kb = KnowledgeBase::open(dir.path().string(), {}, &err);
    ASSERT_TRUE(kb) << err;
    ASSERT_TRUE(kb->add(doc("late", "Late arrival about glaciers carving fjords.")).ok());
  }
  auto kb = KnowledgeBase::open(dir.path().string(), with, &err);
  ASSERT_TRUE(kb) << err;
  EXPECT_EQ(kb->stats().warm_rebuild_reason, "index is behind the database");
  EXPECT_EQ(kb->stats().vectors, 7) << "the missing chunk is embedded at open";
  EXPECT_EQ(kb->stats().warm_live, 7);
  EXPECT_EQ(kb->search("glaciers fjords", 1).hits.at(0).warm_rank, 1);
}

TEST(WarmTier, ChangingTheEmbedderReembedsEverything) {
  TempDir dir;
  owlet::Error err;
  {
    KbOptions a;
    a.embedder = hashing_embedder(64, "hash-64");
    auto kb = KnowledgeBase::open(dir.path().string(), a, &err);
    ASSERT_TRUE(kb) << err;
    add_topics(*kb);
  }
  int calls = 0;
  KbOptions b;
  b.embedder = hashing_embedder(32, "hash-32", &calls);
  auto kb = KnowledgeBase::open(dir.path().string(), b, &err);
  ASSERT_TRUE(kb) << err;
  EXPECT_EQ(calls, 6);
  EXPECT_EQ(kb->stats().warm_live, 6);
  EXPECT_EQ(kb->search("sourdough starter flour", 1).hits.at(0).source, "t1");
}

TEST(WarmTier, SeesWritesFromAnotherInstance) {
  TempDir dir;
  KbOptions opts;
  opts.embedder = hashing_embedder();
  owlet::Error err;
  auto reader = KnowledgeBase::open(dir.path().string(), opts, &err);
  ASSERT_TRUE(reader) << err;
  auto writer = KnowledgeBase::open(dir.path().string(), opts, &err);
  ASSERT_TRUE(writer) << err;
  add_topics(*writer);
  auto r = reader->search("chess sicilian defence", 1);
  ASSERT_EQ(r.hits.size(), 1u);
  EXPECT_EQ(r.hits[0].source, "t5");
  EXPECT_EQ(r.hits[0].warm_rank, 1);
}

TEST(WarmTier, FiltersApplyToVectorHits) {
  TempDir dir;
  KbOptions opts;
  opts.embedder = hashing_embedder();
  owlet::Error err;
  auto kb = KnowledgeBase::open(dir.path().string(), opts, &err);
  ASSERT_TRUE(kb) << err;
  Document a = doc("https://web.example/owls", "Owls hunt at night using silent flight.");
  a.source_kind = "web";
  Document b = doc("/notes/owls.txt", "Owls hunt at night, notes from the field.");
  ASSERT_TRUE(kb->add(a).ok());
  ASSERT_TRUE(kb->add(b).ok());
  SearchFilters f;
  f.source_kinds = {"file"};
  // The web page is the closer vector; the filter must drop it from the warm list too.
  auto r = kb->search("nocturnal owls silent flight night", 5, f);
  ASSERT_FALSE(r.hits.empty());
  for (const auto& h : r.hits) EXPECT_EQ(h.source_kind, "file") << h.source;
}

TEST(WarmTier, ConcurrentSearchesDuringWritesAndVacuum) {
  TempDir dir;
  KbOptions opts;
  opts.embedder = hashing_embedder();
  owlet::Error err;
  auto kb = KnowledgeBase::open(dir.path().string(), opts, &err);
  ASSERT_TRUE(kb) << err;
  add_topics(*kb);
  std::atomic<bool> done{false};
  std::atomic<int> bad{0}, runs{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      while (!done) {
        auto r = kb->search("owls hunt night silent flight", 3);
        if (!r.ok() || r.hits.empty() || r.hits[0].source != "t0") ++bad;
        ++runs;
      }
    });
  }
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(kb->add(doc("x" + std::to_string(i), "Extra note " + std::to_string(i) + " about rivers and deltas.")).ok());
    if (i % 10 == 9) {
      bool found = false;
      ASSERT_TRUE(kb->remove("x" + std::to_string(i - 5), &found, &err));
      ASSERT_TRUE(kb->vacuum(&err)) << err;
    }
  }
  while (runs < 20) std::this_thread::yield();
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad, 0);
  EXPECT_EQ(kb->stats().warm_live, 6 + 30 - 3);
}

TEST(WarmTier, BadEmbedderOutputFailsTheAddCleanly) {
  TempDir dir;
  KbOptions opts;
  opts.embedder.id = "broken";
  opts.embedder.dim = 8;
  opts.embedder.embed = [](const std::vector<std::string>& t) {
    return std::vector<std::vector<float>>(t.size(), std::vector<float>(3, 1.0f));
  };
  owlet::Error err;
  auto kb = KnowledgeBase::open(dir.path().string(), opts, &err);
  ASSERT_TRUE(kb) << err;
  const auto r = kb->add(doc("x", "Some text."));
  EXPECT_EQ(r.status, AddStatus::kError);
  EXPECT_NE(r.error.message.find("dim 3"), std::string::npos) << r.error;
  EXPECT_EQ(kb->stats().documents, 0);
}

}  // namespace
}  // namespace owlet::kb
