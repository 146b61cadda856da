// Hot tier through the KnowledgeBase facade: real SQLite files in temp dirs.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "kb/knowledge_base.h"
#include "kb/schema.h"
#include "support/test_support.h"

namespace owlet::kb {
namespace {

using owlet::test::TempDir;

std::unique_ptr<KnowledgeBase> open_kb(const TempDir& dir, KbOptions opts = {}) {
  owlet::Error err;
  auto kb = KnowledgeBase::open(dir.path().string(), opts, &err);
  EXPECT_TRUE(kb) << err;
  return kb;
}

Document doc(std::string source, std::string text, std::string title = "") {
  Document d;
  d.source = std::move(source);
  d.text = std::move(text);
  d.title = std::move(title);
  return d;
}

std::vector<std::string> sources(const SearchResult& r) {
  std::vector<std::string> out;
  for (const auto& h : r.hits) out.push_back(h.source);
  return out;
}

TEST(HotTier, LatinSearchRanksByBm25AndFoldsDiacritics) {
  TempDir dir;
  auto kb = open_kb(dir);
  ASSERT_EQ(kb->add(doc("a", "The café on the corner serves espresso and croissants.")).status, AddStatus::kAdded);
  ASSERT_EQ(kb->add(doc("b", "Espresso espresso espresso: a guide to espresso machines.")).status, AddStatus::kAdded);
  ASSERT_EQ(kb->add(doc("c", "Rainfall statistics for Northern Europe.")).status, AddStatus::kAdded);

  auto r = kb->search("espresso", 10);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(sources(r), (std::vector<std::string>{"b", "a"}));
  EXPECT_GT(r.hits[0].hot_score, r.hits[1].hot_score);
  EXPECT_EQ(r.hits[0].hot_rank, 1);
  EXPECT_EQ(r.hits[0].fused_rank, 1);
  EXPECT_EQ(r.hits[0].warm_rank, 0);
  EXPECT_FALSE(r.warm_used);

  // "cafe" finds "café" (remove_diacritics 2), and case does not matter.
  EXPECT_EQ(sources(kb->search("CAFE", 10)), (std::vector<std::string>{"a"}));
  EXPECT_TRUE(kb->search("submarine", 10).hits.empty());
  // FTS5 syntax in user input is quoted, not interpreted.
  EXPECT_TRUE(kb->search("espresso\" OR NEAR(", 10).ok());
}

TEST(HotTier, CjkSubstringSearch) {
  TempDir dir;
  auto kb = open_kb(dir);
  ASSERT_TRUE(kb->add(doc("zh1", "今天上海天气晴，气温二十度。")).ok());
  ASSERT_TRUE(kb->add(doc("zh2", "北京明天有雨。")).ok());
  ASSERT_TRUE(kb->add(doc("ja", "東京の天気は雨です。")).ok());
  ASSERT_TRUE(kb->add(doc("ko", "오늘 서울 날씨는 맑습니다.")).ok());

  EXPECT_EQ(sources(kb->search("天气", 10)), (std::vector<std::string>{"zh1"}));
  EXPECT_EQ(sources(kb->search("上海的天气怎么样", 5))[0], "zh1");
  EXPECT_EQ(sources(kb->search("明天", 10)), (std::vector<std::string>{"zh2"}));
  EXPECT_EQ(sources(kb->search("天気", 10)), (std::vector<std::string>{"ja"}));
  EXPECT_EQ(sources(kb->search("날씨", 10)), (std::vector<std::string>{"ko"}));
  // A single character matches anywhere, also at the end of a run (有雨。).
  auto rain = sources(kb->search("雨", 10));
  std::sort(rain.begin(), rain.end());
  EXPECT_EQ(rain, (std::vector<std::string>{"ja", "zh2"}));
  auto info = kb->document_info("zh1");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->language, "zh");
}

TEST(HotTier, ReaddingUnchangedIsNoopAndChangedReplacesChunks) {
  TempDir dir;
  auto kb = open_kb(dir);
  const auto first = kb->add(doc("notes.txt", "Alpha bravo charlie."));
  ASSERT_EQ(first.status, AddStatus::kAdded);
  const auto gen_stats = kb->stats();

  const auto again = kb->add(doc("notes.txt", "Alpha bravo charlie."));
  EXPECT_EQ(again.status, AddStatus::kUnchanged);
  EXPECT_EQ(again.document_id, first.document_id);
  EXPECT_EQ(again.chunks, 0);
  EXPECT_EQ(kb->stats().chunks, gen_stats.chunks);

  const auto changed = kb->add(doc("notes.txt", "Delta echo foxtrot."));
  EXPECT_EQ(changed.status, AddStatus::kReplaced);
  EXPECT_EQ(changed.document_id, first.document_id);
  EXPECT_TRUE(kb->search("bravo", 5).hits.empty()) << "old chunks must be gone from FTS";
  EXPECT_EQ(sources(kb->search("echo", 5)), (std::vector<std::string>{"notes.txt"}));
  const auto s = kb->stats();
  EXPECT_EQ(s.documents, 1);
  EXPECT_EQ(s.chunks, 1);
  std::string report;
  EXPECT_TRUE(kb->check_integrity(&report)) << report;
}

TEST(HotTier, RemoveDeletesDocumentChunksAndPostings) {
  TempDir dir;
  auto kb = open_kb(dir);
  ASSERT_TRUE(kb->add(doc("x", "Zebra migration across the Serengeti plains.")).ok());
  ASSERT_TRUE(kb->add(doc("y", "Zebra crossings and road safety.")).ok());
  bool found = false;
  owlet::Error err;
  ASSERT_TRUE(kb->remove("x", &found, &err)) << err;
  EXPECT_TRUE(found);
  EXPECT_EQ(sources(kb->search("zebra", 10)), (std::vector<std::string>{"y"}));
  EXPECT_TRUE(kb->search("serengeti", 10).hits.empty());
  ASSERT_TRUE(kb->remove("x", &found, &err));
  EXPECT_FALSE(found);
  EXPECT_EQ(kb->stats().documents, 1);
  std::string report;
  EXPECT_TRUE(kb->check_integrity(&report)) << report;
}

TEST(HotTier, ExactAndNearDuplicatesAreStoredOnce) {
  TempDir dir;
  auto kb = open_kb(dir);
  std::string page;
  for (int i = 0; i < 12; ++i)
    page += "Paragraph " + std::to_string(i) + " explains how the tiered retrieval pipeline answers questions offline. ";
  const auto orig = kb->add(doc("https://a.example/page", page));
  ASSERT_EQ(orig.status, AddStatus::kAdded);

  const auto exact = kb->add(doc("https://mirror.example/page", page));
  EXPECT_EQ(exact.status, AddStatus::kDuplicate);
  EXPECT_EQ(exact.duplicate_of, orig.document_id);

  const auto near = kb->add(doc("https://mirror2.example/page", page + "Mirrored by mirror2."));
  EXPECT_EQ(near.status, AddStatus::kDuplicate);
  EXPECT_EQ(near.duplicate_of, orig.document_id);

  std::string other;
  for (int i = 0; i < 12; ++i) other += "Section " + std::to_string(i) + " covers sourdough baking at high altitude. ";
  EXPECT_EQ(kb->add(doc("https://b.example/bread", other)).status, AddStatus::kAdded);
  EXPECT_EQ(kb->stats().documents, 2);

  // A source may update itself to a near-copy of its own old text.
  EXPECT_EQ(kb->add(doc("https://a.example/page", page + "Updated.")).status, AddStatus::kReplaced);
}

TEST(HotTier, PostingBudgetDropsCommonTermsRarestFirst) {
  TempDir dir;
  KbOptions opts;
  opts.fts_posting_budget = 3;
  auto kb = open_kb(dir, opts);
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(kb->add(doc("c" + std::to_string(i), "Common word number " + std::to_string(i * 1000003) + ".")).ok());
  ASSERT_TRUE(kb->add(doc("r", "Common and rare together.")).ok());
  // "rare" (df 1) fits the budget; "common" (df 6) would exceed it and is dropped.
  EXPECT_EQ(sources(kb->search("common rare", 10)), (std::vector<std::string>{"r"}));
  // A single term is always searched, however common.
  EXPECT_EQ(kb->search("common", 10).hits.size(), 6u);
  // Diacritics and case fold the same way in the frequency lookup.
  EXPECT_EQ(sources(kb->search("COMMON RÀRE", 10)), (std::vector<std::string>{"r"}));

  TempDir dir2;
  opts.fts_posting_budget = 0;  // unbounded
  auto all = open_kb(dir2, opts);
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(all->add(doc("c" + std::to_string(i), "Common word number " + std::to_string(i * 1000003) + ".")).ok());
  ASSERT_TRUE(all->add(doc("r", "Common and rare together.")).ok());
  const auto r = all->search("common rare", 10);
  ASSERT_EQ(r.hits.size(), 6u);
  EXPECT_EQ(r.hits[0].source, "r");
}

TEST(HotTier, FiltersRestrictResults) {
  TempDir dir;
  auto kb = open_kb(dir);
  Document a = doc("https://web.example/1", "Quantum computing uses qubits.");
  a.source_kind = "web";
  a.trust = 0.3;
  a.modified_at = 1000;
  Document b = doc("/home/u/notes/q.txt", "Quantum notes: qubits and gates.");
  b.source_kind = "file";
  b.trust = 0.9;
  b.modified_at = 2000;
  ASSERT_TRUE(kb->add(a).ok());
  ASSERT_TRUE(kb->add(b).ok());
  SearchFilters f;
  f.source_kinds = {"web"};
  EXPECT_EQ(sources(kb->search("qubits", 10, f)), (std::vector<std::string>{"https://web.example/1"}));
  f = {};
  f.min_trust = 0.5;
  EXPECT_EQ(sources(kb->search("qubits", 10, f)), (std::vector<std::string>{"/home/u/notes/q.txt"}));
  f = {};
  f.modified_after = 1500;
  EXPECT_EQ(sources(kb->search("qubits", 10, f)), (std::vector<std::string>{"/home/u/notes/q.txt"}));
  f = {};
  f.source_prefix = "https://";
  EXPECT_EQ(sources(kb->search("qubits", 10, f)), (std::vector<std::string>{"https://web.example/1"}));
  f.language = "zh";
  EXPECT_TRUE(kb->search("qubits", 10, f).hits.empty());
}

// owlet_bm25 (kb/fts_rank.h): a chunk matching the rare term outranks one matching only
// the common term, term frequency saturates, and the IDF arguments bind after the
// filter parameters when filters are present.
TEST(HotTier, RankWeighsRareTermsAlsoWithFilters) {
  TempDir dir;
  auto kb = open_kb(dir);
  for (int i = 0; i < 8; ++i) {
    Document d = doc("common" + std::to_string(i), "The harbour at dawn, number " + std::to_string(i) + ".");
    d.source_kind = "web";
    ASSERT_TRUE(kb->add(d).ok());
  }
  Document rare = doc("rare", "A lighthouse keeper's log.");
  rare.source_kind = "web";
  ASSERT_TRUE(kb->add(rare).ok());
  Document spam = doc("spam", "harbour harbour harbour harbour harbour harbour harbour harbour");
  spam.source_kind = "file";
  ASSERT_TRUE(kb->add(spam).ok());

  auto r = kb->search("harbour lighthouse", 20);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.hits.size(), 10u);
  EXPECT_EQ(r.hits[0].source, "rare");
  EXPECT_GT(r.hits[0].hot_score, 0);
  // Eight repetitions of a common term are worth less than one rare term.
  EXPECT_LT(r.hits[1].hot_score, r.hits[0].hot_score);

  SearchFilters f;
  f.source_kinds = {"web"};
  r = kb->search("harbour lighthouse", 20, f);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.hits.size(), 9u);
  EXPECT_EQ(r.hits[0].source, "rare");
  for (const auto& h : r.hits) EXPECT_NE(h.source, "spam");
}

TEST(HotTier, AnswerCacheHonoursNormalizationAndExpiry) {
  TempDir dir;
  auto kb = open_kb(dir);
  CachedAnswer a;
  a.question = "What is HNSW?";
  a.answer = "A graph index [1].";
  a.sources_json = R"(["https://arxiv.org/abs/1603.09320"])";
  a.route = "local";
  a.created_at = 100;
  a.expires_at = 200;
  owlet::Error err;
  ASSERT_TRUE(kb->cache_put(a, &err)) << err;
  auto hit = kb->cache_get("  what is hnsw ", 150);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->answer, "A graph index [1].");
  EXPECT_EQ(hit->route, "local");
  EXPECT_EQ(hit->sources_json, a.sources_json);
  EXPECT_FALSE(kb->cache_get("what is hnsw", 200)) << "expired at 200";
  EXPECT_FALSE(kb->cache_get("what is faiss", 150));
  auto listed = kb->cache_list(150);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].question, "what is hnsw");
  EXPECT_TRUE(kb->cache_list(200).empty()) << "expired entries are not listed";
  a.question = "forever";
  a.expires_at = 0;
  ASSERT_TRUE(kb->cache_put(a, &err));
  EXPECT_EQ(kb->cache_purge_expired(250), 1);
  EXPECT_TRUE(kb->cache_get("Forever!", 1'000'000'000));
  EXPECT_EQ(kb->stats().cached_answers, 1);
}

// A knowledge base as an owlet of an older schema left it: migrated up to
// `version` only, then `sql` run on it.
static void write_old_database(const TempDir& dir, int version, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir.path() / "kb.sqlite").c_str(), &db), SQLITE_OK);
  owlet::Error err;
  ASSERT_TRUE(migrate_schema(db, &err, version)) << err;
  ASSERT_EQ(schema_version(db, &err), version);
  ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
}

TEST(HotTier, AnswerCacheKeepsOneAnswerPerVariant) {
  TempDir dir;
  auto kb = open_kb(dir);
  owlet::Error err;
  CachedAnswer a;
  a.question = "Why do owls hoot?";
  a.variant = "llm:model-a";
  a.answer = "A says [1].";
  ASSERT_TRUE(kb->cache_put(a, &err)) << err;
  a.variant = "llm:model-b";
  a.answer = "B says [1].";
  ASSERT_TRUE(kb->cache_put(a, &err)) << err;  // beside A's, not over it
  auto for_a = kb->cache_get("why do owls hoot", "llm:model-a");
  auto for_b = kb->cache_get("why do owls hoot", "llm:model-b");
  ASSERT_TRUE(for_a && for_b);
  EXPECT_EQ(for_a->answer, "A says [1].");
  EXPECT_EQ(for_b->answer, "B says [1].");
  EXPECT_EQ(for_b->variant, "llm:model-b");
  EXPECT_FALSE(kb->cache_get("why do owls hoot", "llm:model-c"));
  EXPECT_FALSE(kb->cache_get("why do owls hoot")) << "no variant is a variant of its own";
  auto listed = kb->cache_list();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_NE(listed[0].variant, listed[1].variant);
  EXPECT_EQ(kb->stats().cached_answers, 2);
}

TEST(HotTier, Version4AnswerCacheIsDroppedOnMigration) {
  TempDir dir;
  // An owlet of schema v4 cached an answer with no model identity.
  write_old_database(dir, 4,
                     "INSERT INTO answer_cache(question, answer, route, created_at, expires_at) "
                     "VALUES('why do owls hoot', 'from some model', '{\"engine\":\"llm\"}', 1, 0);");
  auto kb = open_kb(dir);
  ASSERT_TRUE(kb);
  EXPECT_EQ(kb->stats().schema_version, kSchemaVersion);
  EXPECT_TRUE(kb->cache_list().empty()) << "an answer of unknown model is never served";
  owlet::Error err;
  CachedAnswer a;
  a.question = "why do owls hoot";
  a.variant = "extractive";
  a.answer = "a";
  EXPECT_TRUE(kb->cache_put(a, &err)) << err;
  EXPECT_TRUE(kb->cache_get("why do owls hoot", "extractive"));
}

TEST(HotTier, MigratesFromVersion1KeepingData) {
  TempDir dir;
  // An owlet of schema v1 wrote this database.
  write_old_database(dir, 1,
                     "INSERT INTO documents(id, source, title, content_hash, bytes) "
                     "VALUES(1, 'old.txt', 'Old', 'h1', 30);"
                     "INSERT INTO chunks(id, document_id, ord, text, tokens) "
                     "VALUES(1, 1, 0, 'legacy lighthouse keeper', 3);"
                     "INSERT INTO chunks_fts(rowid, latin, cjk) VALUES(1, 'legacy lighthouse keeper', '');");
  auto kb = open_kb(dir);
  ASSERT_TRUE(kb);
  EXPECT_EQ(kb->stats().schema_version, kSchemaVersion);
  EXPECT_EQ(sources(kb->search("lighthouse", 5)), (std::vector<std::string>{"old.txt"}));
  // v2 and v3 features work on the migrated database.
  owlet::Error err;
  CachedAnswer a;
  a.question = "q";
  a.answer = "a";
  EXPECT_TRUE(kb->cache_put(a, &err)) << err;
  EXPECT_EQ(kb->add(doc("new.txt", "A brand new lighthouse document.")).status, AddStatus::kAdded);
  EXPECT_EQ(kb->search("lighthouse", 5).hits.size(), 2u);
  // Removing the migrated document works (its postings are recomputed from text).
  bool found = false;
  ASSERT_TRUE(kb->remove("old.txt", &found, &err)) << err;
  std::string report;
  EXPECT_TRUE(kb->check_integrity(&report)) << report;
}

TEST(HotTier, RefusesNewerSchema) {
  TempDir dir;
  {
    auto kb = open_kb(dir);
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir.path() / "kb.sqlite").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE meta SET value='999' WHERE key='schema_version'", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  owlet::Error err;
  EXPECT_FALSE(KnowledgeBase::open(dir.path().string(), {}, &err));
  EXPECT_NE(err.message.find("newer"), std::string::npos) << err;
}

TEST(HotTier, ReadersNeverSeeHalfADocument) {
  TempDir dir;
  KbOptions opts;
  opts.chunker.max_tokens = 16;
  opts.chunker.overlap_tokens = 0;
  auto kb = open_kb(dir, opts);
  // Each document has many chunks, all containing the word "marker" and its number.
  auto make = [](int n) {
    std::string t;
    for (int i = 0; i < 20; ++i) t += "Marker doc" + std::to_string(n) + " part " + std::to_string(i) + " filler words here.\n\n";
    return t;
  };
  const auto first = kb->add(doc("d0", make(0)));
  ASSERT_EQ(first.status, AddStatus::kAdded);
  const int per_doc = first.chunks;
  ASSERT_GE(per_doc, 5);
  std::atomic<bool> done{false}, ready{false};
  std::atomic<int> violations{0}, searches{0};
  std::thread reader([&] {
    // A separate KnowledgeBase in the same process = separate connections, like
    // another process would have.
    owlet::Error err;
    auto r = KnowledgeBase::open(dir.path().string(), {}, &err);
    ready = true;
    ASSERT_TRUE(r) << err;
    while (!done) {
      for (const auto& info : r->list_documents(0, 1000)) {
        if (info.chunks != per_doc) ++violations;
      }
      ++searches;
    }
  });
  while (!ready) std::this_thread::yield();
  // Keep writing until the reader has overlapped with the writes for a while.
  int n = 1;
  for (; n < 30 || (searches < 20 && n < 500); ++n) {
    ASSERT_EQ(kb->add(doc("d" + std::to_string(n), make(n))).chunks, per_doc);
  }
  done = true;
  reader.join();
  EXPECT_EQ(violations, 0);
  EXPECT_GE(searches, 20);
  EXPECT_EQ(kb->stats().chunks, n * per_doc);
}

TEST(HotTier, ConcurrentSearchesAndWritesInOneInstance) {
  TempDir dir;
  auto kb = open_kb(dir);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(kb->add(doc("s" + std::to_string(i), "Seed document about owls number " + std::to_string(i))).ok());
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!done) {
        auto r = kb->search("owls", 5);
        if (!r.ok() || r.hits.size() != 5) ++failures;
      }
    });
  }
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(kb->add(doc("w" + std::to_string(i), "Writer adds owls fact " + std::to_string(i) + " about nocturnal hunting.")).ok());
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(failures, 0);
}

TEST(HotTier, RejectsBadDocuments) {
  TempDir dir;
  auto kb = open_kb(dir);
  EXPECT_EQ(kb->add(doc("", "text")).status, AddStatus::kError);
  EXPECT_EQ(kb->add(doc("empty", "  \n ")).status, AddStatus::kError);
  // Ill-formed UTF-8 from a caller is repaired, not stored raw.
  const auto r = kb->add(doc("bad", "caf\xE9 au lait"));
  ASSERT_EQ(r.status, AddStatus::kAdded);
  auto hits = kb->search("lait", 5).hits;
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].text, "caf\xEF\xBF\xBD au lait");
}

}  // namespace
}  // namespace owlet::kb
