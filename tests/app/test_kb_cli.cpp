// `owlet ingest` and `owlet kb` through the real binary, including a SIGKILL mid-ingest.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <thread>
#include <set>
#include <sstream>

#include "kb/knowledge_base.h"
#include "support/test_support.h"

using namespace owlet::test;

namespace {

ProcessResult run_owlet(std::vector<std::string> args, const TempDir& home, ProcessOptions o = {}) {
  args.insert(args.begin(), OWLET_BINARY);
  o.env.push_back("HOME=" + home.path().string());
  o.env.push_back("OWLET_CONFIG=");
  return run_process(args, o);
}

// "added /path (3 chunks)" lines: the files the binary reported as committed.
std::set<std::string> committed(const std::string& out) {
  std::set<std::string> s;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("added ", 0) != 0) continue;
    size_t paren = line.rfind(" (");
    s.insert(line.substr(6, paren - 6));
  }
  return s;
}

}  // namespace

TEST(KbCli, IngestSearchStatsRemove) {
  TempDir home, docs;
  write_file(docs / "owls.md", "# Owls\n\nThe barn owl hunts voles at night across open fields.\n");
  write_file(docs / "weather.txt", "今天上海天气晴，适合出门。\n");
  write_file(docs / "page.html",
             "<html><head><title>Kestrels</title></head><body><nav>Home | About | Login</nav>"
             "<article><p>The kestrel hovers before it dives onto its prey in the grass.</p></article></body></html>");
  write_file(docs / "blob.bin", std::string("\x00\x01\x02\x03binary", 10));
  write_file(docs / "bad.txt", "ok then \xff\xfe broken");
  std::string kbdir = (home / "kb").string();

  ProcessResult in = run_owlet({"ingest", docs.path().string(), "--include", "*", "--knowledge-path", kbdir}, home);
  EXPECT_EQ(in.exit_code, 0) << in.err;
  EXPECT_NE(in.err.find("3 added"), std::string::npos) << in.err;
  EXPECT_NE(in.err.find("2 skipped"), std::string::npos) << in.err;
  EXPECT_NE(in.err.find("skipped " + (docs / "blob.bin").string()), std::string::npos) << in.err;

  ProcessResult zh = run_owlet({"kb", "search", "天气", "--json", "--knowledge-path", kbdir}, home);
  ASSERT_EQ(zh.exit_code, 0) << zh.err;
  EXPECT_NE(zh.out.find("weather.txt"), std::string::npos) << zh.out;
  ProcessResult nav = run_owlet({"kb", "search", "Login", "--knowledge-path", kbdir}, home);
  EXPECT_EQ(nav.out.find("page.html"), std::string::npos) << "navigation text was indexed: " << nav.out;
  ProcessResult kes = run_owlet({"kb", "search", "kestrel prey", "--knowledge-path", kbdir}, home);
  EXPECT_NE(kes.out.find("Kestrels"), std::string::npos) << kes.out;

  ProcessResult again = run_owlet({"ingest", docs.path().string(), "--knowledge-path", kbdir}, home);
  EXPECT_NE(again.err.find("3 unchanged"), std::string::npos) << again.err;

  ProcessResult rm = run_owlet({"kb", "rm", (docs / "owls.md").string(), "--knowledge-path", kbdir}, home);
  EXPECT_EQ(rm.exit_code, 0) << rm.err;
  ProcessResult st = run_owlet({"kb", "stats", "--json", "--knowledge-path", kbdir}, home);
  EXPECT_NE(st.out.find("\"documents\": 2"), std::string::npos) << st.out;
  ProcessResult rm2 = run_owlet({"kb", "rm", "/no/such/doc", "--knowledge-path", kbdir}, home);
  EXPECT_EQ(rm2.exit_code, 2);
  EXPECT_EQ(count_lines(rm2.err), 1);
  EXPECT_EQ(run_owlet({"kb", "vacuum", "--knowledge-path", kbdir}, home).exit_code, 0);
}

TEST(KbCli, MissingPathIsCountedNotFatal) {
  TempDir home, docs;
  write_file(docs / "a.txt", "alpha beta gamma");
  ProcessResult r = run_owlet({"ingest", (docs / "a.txt").string(), "/no/such/file.txt", "--knowledge-path",
                           (home / "kb").string()},
                          home);
  EXPECT_NE(r.err.find("1 added"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("/no/such/file.txt"), std::string::npos) << r.err;
}

TEST(KbCli, SigkillMidIngestLeavesAConsistentDatabase) {
  TempDir home, docs;
  const int n_files = 400;
  // Distinct random prose per file, so near-duplicate detection keeps them all.
  const char* words[] = {"owl",   "vole",  "field", "night", "wing",  "river", "stone", "moon",  "hedge", "barn",
                         "quiet", "swift", "grey",  "north", "reed",  "dusk",  "pine",  "frost", "marsh", "ember"};
  uint32_t x = 2463534242u;
  for (int i = 0; i < n_files; ++i) {
    std::string text = "Document " + std::to_string(i) + " marker" + std::to_string(i) + ".\n\n";
    for (int p = 0; p < 30; ++p) {
      for (int w = 0; w < 14; ++w) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        text += std::string(words[x % 20]) + (w == 13 ? ".\n\n" : " ");
      }
    }
    write_file(docs / ("f" + std::to_string(i) + ".txt"), text);
  }
  std::string kbdir = (home / "kb").string();
  ProcessOptions o;
  o.send_signal_when = [](const std::string& out) { return committed(out).size() >= 20; };
  o.signal_to_send = SIGKILL;
  ProcessResult r = run_owlet({"ingest", docs.path().string(), "--knowledge-path", kbdir}, home, o);
  ASSERT_EQ(r.exit_code, 128 + SIGKILL) << "ingest finished before it could be killed: " << r.err;
  std::set<std::string> done = committed(r.out);
  ASSERT_GE(done.size(), 20u);
  ASSERT_LT(done.size(), static_cast<size_t>(n_files));

  owlet::Error err;
  auto kb = owlet::kb::KnowledgeBase::open(kbdir, {}, &err);
  ASSERT_NE(kb, nullptr) << err;
  std::string report;
  EXPECT_TRUE(kb->check_integrity(&report)) << report;
  // Every file reported before the kill is present and searchable.
  for (const auto& path : done) {
    auto info = kb->document_info(path);
    ASSERT_TRUE(info.has_value()) << path;
    std::string marker = path.substr(path.rfind("/f") + 2);
    marker = "marker" + marker.substr(0, marker.size() - 4);
    auto hits = kb->search(marker, 3);
    ASSERT_FALSE(hits.hits.empty()) << marker;
    EXPECT_EQ(hits.hits[0].source, path);
  }
  // No partial document: each stored one has all of its chunks and its full text.
  for (const auto& d : kb->list_documents(0, 100000)) {
    std::string text;
    owlet::kb::DocumentInfo full;
    ASSERT_TRUE(kb->get_document(d.id, &full, &text, &err)) << d.source << ": " << err;
    EXPECT_EQ(static_cast<int64_t>(text.size()), d.bytes) << d.source;
    EXPECT_GT(d.chunks, 0) << d.source;
  }
  kb.reset();
  // Running again finishes the job.
  ProcessResult rest = run_owlet({"ingest", docs.path().string(), "--knowledge-path", kbdir}, home);
  EXPECT_EQ(rest.exit_code, 0) << rest.err;
  ProcessResult st = run_owlet({"kb", "stats", "--json", "--knowledge-path", kbdir}, home);
  EXPECT_NE(st.out.find("\"documents\": " + std::to_string(n_files)), std::string::npos) << st.out;
}

// Issue #13, finding 6: a path that is not there is an error, not a quiet success.
TEST(KbCli, MissingPathIsAnErrorAndSkippedLinksAreReported) {
  TempDir home, docs, outside;
  write_file(docs / "owls.md", "# Owls\n\nTawny owls call at night in the woods.\n");
  write_file(outside / "secret.md", "# Elsewhere\n\nA file outside the ingested tree.\n");
  std::filesystem::create_symlink(outside / "secret.md", docs / "link.md");
  std::filesystem::create_directory_symlink(outside.path(), docs / "linked-dir");
  std::string kbdir = (home / "kb").string();

  ProcessResult missing = run_owlet({"ingest", "/nonexistent/notes", "--knowledge-path", kbdir}, home);
  EXPECT_NE(missing.exit_code, 0) << missing.err;
  EXPECT_NE(missing.err.find("/nonexistent/notes"), std::string::npos) << missing.err;

  ProcessResult in = run_owlet({"ingest", docs.path().string(), "--knowledge-path", kbdir}, home);
  EXPECT_EQ(in.exit_code, 0) << in.err;
  EXPECT_NE(in.err.find("1 added"), std::string::npos) << in.err;
  EXPECT_NE(in.err.find("skipped " + (docs / "link.md").string() + ": symbolic link"), std::string::npos) << in.err;
  EXPECT_NE(in.err.find("skipped " + (docs / "linked-dir").string() + ": symbolic link"), std::string::npos) << in.err;
  ProcessResult st = run_owlet({"kb", "stats", "--json", "--knowledge-path", kbdir}, home);
  EXPECT_NE(st.out.find("\"documents\": 1"), std::string::npos) << st.out;
}

// Issue #13, finding 7: two writers on one knowledge base both succeed (the later
// one finds the documents the other stored and updates or leaves them).
TEST(KbCli, TwoConcurrentIngestsBothSucceed) {
  TempDir home, docs;
  const int kFiles = 1500;
  for (int i = 0; i < kFiles; ++i)
    write_file(docs / ("d" + std::to_string(i) + ".txt"),
               "Note " + std::to_string(i) + ": owls, voles and the number " + std::to_string(i * 7919) + ".\n");
  std::string kbdir = (home / "kb").string();
  ProcessResult init = run_owlet({"kb", "stats", "--knowledge-path", kbdir}, home);  // creates the schema once
  ASSERT_EQ(init.exit_code, 0) << init.err;
  ProcessResult a, b;
  std::thread ta([&] { a = run_owlet({"ingest", docs.path().string(), "--knowledge-path", kbdir}, home); });
  std::thread tb([&] { b = run_owlet({"ingest", docs.path().string(), "--knowledge-path", kbdir}, home); });
  ta.join();
  tb.join();
  EXPECT_EQ(a.exit_code, 0) << a.err.substr(a.err.size() > 2000 ? a.err.size() - 2000 : 0);
  EXPECT_EQ(b.exit_code, 0) << b.err.substr(b.err.size() > 2000 ? b.err.size() - 2000 : 0);
  EXPECT_EQ(a.err.find("UNIQUE"), std::string::npos);
  EXPECT_EQ(b.err.find("UNIQUE"), std::string::npos);
  ProcessResult st = run_owlet({"kb", "stats", "--json", "--knowledge-path", kbdir}, home);
  EXPECT_NE(st.out.find("\"documents\": " + std::to_string(kFiles)), std::string::npos) << st.out;
}
