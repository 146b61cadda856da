// The knowledge base's replication support on its own: the change journal is
// written with the change and survives until acknowledged; applied changes are
// idempotent and carry their log position in the same transaction.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "kb/knowledge_base.h"
#include "support/test_support.h"

using namespace owlet;
using namespace owlet::kb;

namespace {

Document doc(const std::string& source, const std::string& text) {
  Document d;
  d.source = source;
  d.title = "Title of " + source;
  d.text = text;
  d.source_kind = "web";
  d.trust = 0.7;
  d.fetched_at = 1790000000;
  d.modified_at = 1780000000;
  return d;
}

std::unique_ptr<KnowledgeBase> open_kb(const std::filesystem::path& dir, bool journal) {
  KbOptions o;
  o.journal_changes = journal;
  Error err;
  auto kb = KnowledgeBase::open(dir.string(), o, &err);
  EXPECT_TRUE(kb) << err.message;
  return kb;
}

const std::string kOwls = "Barn owls hunt at night and locate prey by sound alone, even in complete darkness.";
const std::string kOwls2 = "Snowy owls hunt by day in the Arctic summer, when the sun never sets for weeks.";

}  // namespace

TEST(ChangeLog, JournalHoldsLocalChangesUntilAcknowledged) {
  test::TempDir dir;
  int listened = 0;
  {
    auto kb = open_kb(dir.path(), true);
    kb->set_change_listener([&] { ++listened; });
    ASSERT_EQ(kb->add(doc("https://a.example/owls", kOwls)).status, AddStatus::kAdded);
    ASSERT_EQ(kb->add(doc("https://a.example/owls", kOwls)).status, AddStatus::kUnchanged);  // no change, no row
    ASSERT_EQ(kb->add(doc("https://b.example/snow", kOwls2)).status, AddStatus::kAdded);
    bool found = false;
    Error err;
    ASSERT_TRUE(kb->remove(std::string("https://b.example/snow"), &found, &err)) << err.message;
    EXPECT_EQ(listened, 3);
    EXPECT_EQ(kb->pending_count(), 3);
  }
  // Reopened (as after a crash before publishing): the rows are still there.
  auto kb = open_kb(dir.path(), true);
  int64_t through = 0;
  auto changes = kb->pending_changes(10, &through);
  // Each change as it was stored, in order: the removed document's upsert too.
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(through, changes.back().seq);
  EXPECT_EQ(changes[0].op, Change::Op::upsert);
  EXPECT_EQ(changes[0].doc.source, "https://a.example/owls");
  EXPECT_EQ(changes[0].doc.text, kOwls);
  EXPECT_EQ(changes[0].doc.title, "Title of https://a.example/owls");
  EXPECT_EQ(changes[0].doc.source_kind, "web");
  EXPECT_EQ(changes[0].doc.language, "en");  // as stored: detected
  EXPECT_DOUBLE_EQ(changes[0].doc.trust, 0.7);
  EXPECT_EQ(changes[0].doc.fetched_at, 1790000000);
  EXPECT_EQ(changes[0].doc.modified_at, 1780000000);
  EXPECT_EQ(changes[0].content_hash.size(), 32u);
  EXPECT_EQ(changes[1].op, Change::Op::upsert);
  EXPECT_EQ(changes[1].doc.text, kOwls2);
  EXPECT_EQ(changes[2].op, Change::Op::remove);
  EXPECT_EQ(changes[2].doc.source, "https://b.example/snow");
  Error e;
  ASSERT_TRUE(kb->ack_changes(through, &e)) << e.message;
  EXPECT_EQ(kb->pending_count(), 0);
  EXPECT_TRUE(kb->pending_changes(10, &through).empty());
  EXPECT_EQ(through, 0);
}

TEST(ChangeLog, NoJournalWithoutTheOption) {
  test::TempDir dir;
  auto kb = open_kb(dir.path(), false);
  ASSERT_EQ(kb->add(doc("https://a.example/owls", kOwls)).status, AddStatus::kAdded);
  EXPECT_EQ(kb->pending_count(), 0);
  // And the schema is the one a single node always had.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir.path() / "kb.sqlite").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE name='change_log'", -1, &st, nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST(ChangeLog, AppliedChangesRecordTheirPositionAndAreNotJournaled) {
  test::TempDir dir;
  auto kb = open_kb(dir.path(), true);
  EXPECT_EQ(kb->applied_position("stream"), "");
  AddResult r = kb->apply(doc("https://a.example/owls", kOwls), {"stream", "100-0"});
  ASSERT_EQ(r.status, AddStatus::kAdded) << r.error;
  EXPECT_EQ(kb->applied_position("stream"), "100-0");
  EXPECT_EQ(kb->pending_count(), 0);  // it came from the log: not sent back
  // The same entry again (a replica re-reading the stream): unchanged, position moves on.
  r = kb->apply(doc("https://a.example/owls", kOwls), {"stream", "101-0"});
  EXPECT_EQ(r.status, AddStatus::kUnchanged);
  EXPECT_EQ(kb->applied_position("stream"), "101-0");
  // A replace, then a remove, then a remove of something already gone.
  r = kb->apply(doc("https://a.example/owls", kOwls2), {"stream", "102-0"});
  EXPECT_EQ(r.status, AddStatus::kReplaced);
  EXPECT_EQ(kb->search("Arctic summer", 3).hits.size(), 1u);
  Error e;
  ASSERT_TRUE(kb->apply_remove("https://a.example/owls", {"stream", "103-0"}, &e)) << e.message;
  EXPECT_FALSE(kb->document_info(std::string("https://a.example/owls")));
  ASSERT_TRUE(kb->apply_remove("https://a.example/owls", {"stream", "104-0"}, &e)) << e.message;
  EXPECT_EQ(kb->applied_position("stream"), "104-0");
  EXPECT_EQ(kb->applied_position("other"), "");
  EXPECT_EQ(kb->pending_count(), 0);
}

TEST(ChangeLog, JournalKeepsEachVersionNotTheCurrentOne) {
  // A replica re-applies the log's older entries, so the current document can be
  // an older version than a journaled change: the journal must hold its own copy.
  test::TempDir dir;
  auto kb = open_kb(dir.path(), true);
  ASSERT_EQ(kb->add(doc("notes/owls", kOwls)).status, AddStatus::kAdded);   // v1, journaled
  ASSERT_EQ(kb->add(doc("notes/owls", kOwls2)).status, AddStatus::kReplaced);  // v2, journaled
  // The log hands back v1 (this replica's own first entry) before v2 was published.
  ASSERT_EQ(kb->apply(doc("notes/owls", kOwls), {"stream", "1-0"}).status, AddStatus::kReplaced);
  int64_t through = 0;
  auto changes = kb->pending_changes(10, &through);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].doc.text, kOwls);
  EXPECT_EQ(changes[1].doc.text, kOwls2);  // v2 goes out as v2
}

TEST(ChangeLog, PositionIsPartOfTheChangesTransaction) {
  // A change that fails leaves the position where it was: after a crash the
  // replica re-reads from the last change it really holds.
  test::TempDir dir;
  auto kb = open_kb(dir.path(), true);
  ASSERT_TRUE(kb->apply(doc("https://a.example/owls", kOwls), {"stream", "1-0"}).ok());
  AddResult r = kb->apply(doc("", kOwls2), {"stream", "2-0"});  // no source: refused
  EXPECT_EQ(r.status, AddStatus::kError);
  EXPECT_EQ(kb->applied_position("stream"), "1-0");
}
