// Crash safety of the answer cache: a process writing entries is killed with
// SIGKILL mid-stream, several times over the same knowledge base. After each
// kill the database must open, pass PRAGMA integrity_check and the FTS5 check,
// hold every entry the writer reported committed (byte for byte), show no
// half-written entry, and take new writes.
//
// SIGKILL during ingest is covered by tests/kb/ingest_test.cpp
// (IngestCrash.SigkillMidIngestLeavesConsistentDatabase) and tests/app/test_kb_cli.cpp
// (KbCli.SigkillMidIngestLeavesAConsistentDatabase); interrupted pulls by
// tests/llm/test_pull.cpp (InterruptedDownloadResumesWithRange, CancelKeepsThePartialForResume).
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "kb/knowledge_base.h"
#include "ops/cache_entry.h"
#include "support/test_support.h"

namespace owlet::test {
namespace {

constexpr size_t kAnswerBytes = 16000;  // 300 entries outgrow the 4 MB WAL: checkpoints run mid-stream

std::vector<long> numbers(const std::string& out) {
  std::vector<long> v;
  std::istringstream in(out);
  std::string line;
  // A line without its newline was cut by the kill mid-write: not a report.
  while (std::getline(in, line))
    if (!in.eof()) v.push_back(std::stol(line));
  return v;
}

TEST(CrashSafety, SigkillDuringAnswerCacheWritesLosesNothingCommitted) {
  TempDir tmp;
  const std::string kb_dir = (tmp.path() / "kb").string();
  long next = 0;
  std::vector<long> committed;
  const int kRounds = 4;
  for (int round = 0; round < kRounds; ++round) {
    ProcessOptions po;
    po.timeout = std::chrono::seconds(60);
    po.signal_to_send = SIGKILL;
    // Kill once a few hundred entries are in: the WAL has grown past its first
    // auto-checkpoint, and the writer is inside a transaction most of the time.
    const size_t want = 200 + 100 * static_cast<size_t>(round);
    po.send_signal_when = [want](const std::string& out) {
      return static_cast<size_t>(std::count(out.begin(), out.end(), '\n')) >= want;
    };
    ProcessResult r = run_process({OWLET_CACHE_WRITER, kb_dir, std::to_string(next), std::to_string(kAnswerBytes)}, po);
    ASSERT_EQ(r.exit_code, 128 + SIGKILL) << "writer was not killed mid-stream: " << r.err;
    std::vector<long> got = numbers(r.out);
    ASSERT_GE(got.size(), want) << r.err;
    ASSERT_EQ(got.front(), next);
    committed.insert(committed.end(), got.begin(), got.end());
    const long in_flight = got.back() + 1;  // may or may not have committed; never half

    owlet::Error err;
    auto kb = kb::KnowledgeBase::open(kb_dir, {}, &err);
    ASSERT_TRUE(kb) << "round " << round << ": reopen failed: " << err;
    std::string report;
    EXPECT_TRUE(kb->check_integrity(&report)) << "round " << round << ": " << report;
    int missing = 0, wrong = 0;
    for (long i : committed) {
      auto e = kb->cache_get(crash_question(i));
      if (!e) {
        ++missing;
        continue;
      }
      if (e->answer != crash_answer(i, kAnswerBytes) || e->sources_json != crash_sources(i) || e->route != "web-deep")
        ++wrong;
    }
    EXPECT_EQ(missing, 0) << "round " << round << ": committed entries lost";
    EXPECT_EQ(wrong, 0) << "round " << round << ": committed entries changed";
    if (auto e = kb->cache_get(crash_question(in_flight))) {
      EXPECT_EQ(e->answer, crash_answer(in_flight, kAnswerBytes)) << "the in-flight entry is visible half-written";
      committed.push_back(in_flight);
    }
    // Nothing else is there: no stray or duplicated rows (one "after crash" entry per earlier round).
    EXPECT_EQ(kb->stats().cached_answers, static_cast<int64_t>(committed.size()) + round) << "round " << round;
    // The knowledge base takes writes again after the crash.
    kb::CachedAnswer fresh;
    fresh.question = "after crash " + std::to_string(round);
    fresh.answer = "ok";
    ASSERT_TRUE(kb->cache_put(fresh, &err)) << err;
    ASSERT_TRUE(kb->cache_get(fresh.question));
    ASSERT_TRUE(kb->cache_purge_expired() >= 0);
    next = in_flight + 1;
  }
  RecordProperty("entries_committed", static_cast<int>(committed.size()));
  RecordProperty("kills", kRounds);
}

}  // namespace
}  // namespace owlet::test
