// Ingest of files and directories, bad input, and crash safety (SIGKILL mid-run).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "kb/chunker.h"
#include "kb/ingest.h"
#include "kb/knowledge_base.h"
#include "support/test_support.h"

namespace owlet::kb {
namespace {

using owlet::test::TempDir;
using owlet::test::write_file;
namespace fs = std::filesystem;

std::unique_ptr<KnowledgeBase> open_kb(const fs::path& dir, const KbOptions& opts = {}) {
  owlet::Error err;
  auto kb = KnowledgeBase::open(dir.string(), opts, &err);
  EXPECT_TRUE(kb) << err;
  return kb;
}

std::set<std::string> hit_titles(const SearchResult& r) {
  std::set<std::string> out;
  for (const auto& h : r.hits) out.insert(h.title);
  return out;
}

const IngestFileResult* problem_for(const IngestSummary& s, const std::string& name) {
  for (const auto& p : s.problems)
    if (fs::path(p.path).filename() == name) return &p;
  return nullptr;
}

class IngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = tmp_.path() / "corpus";
    write_file(root_ / "alpha.txt", "Alpha file talks about lighthouses and foghorns.");
    write_file(root_ / "sub" / "beta.md", "# Beta Notes\n\nMarkdown about **glaciers** and fjords.\n");
    write_file(root_ / "sub" / "deeper" / "gamma.html",
               "<html><head><title>Gamma Page</title></head><body><nav>Home Menu Login</nav>"
               "<article><p>Gamma explains volcanoes.</p></article><script>evil()</script></body></html>");
    write_file(root_ / "zh.txt", "今天上海天气晴，适合出门。");
    write_file(root_ / ".hidden" / "secret.txt", "hidden file should not be ingested");
    write_file(root_ / "picture.png", "\x89PNG not text");
    write_file(root_ / "binary.txt", std::string("looks like text\0\0\0 but is not", 30));
    write_file(root_ / "latin1.txt", "caf\xE9 cr\xE8me br\xFBl\xE9" "e");
    write_file(root_ / "huge.txt", "");
    fs::resize_file(root_ / "huge.txt", 1ull << 30);  // sparse 1 GiB: costs nothing on disk
    fs::create_symlink(root_ / "nowhere.txt", root_ / "dangling.txt");
    kb_dir_ = tmp_.path() / "kb";
  }
  TempDir tmp_;
  fs::path root_, kb_dir_;
};

TEST_F(IngestTest, DirectoryIngestSkipsBadInputWithReasons) {
  auto kb = open_kb(kb_dir_);
  const std::string missing = (tmp_.path() / "does-not-exist").string();
  const auto s = ingest_paths(*kb, {root_.string(), missing}, {});
  EXPECT_EQ(s.added, 4u);
  EXPECT_EQ(s.skipped, 4u);  // binary, latin1, huge, and the symbolic link (not followed)
  EXPECT_EQ(s.failed, 1u);   // the path given that does not exist
  EXPECT_EQ(s.files_seen, 9u);
  ASSERT_EQ(s.problems.size(), 5u);
  ASSERT_TRUE(problem_for(s, "dangling.txt")) << "a skipped symbolic link is reported";
  EXPECT_NE(problem_for(s, "dangling.txt")->message.find("symbolic link"), std::string::npos);
  ASSERT_TRUE(problem_for(s, "binary.txt"));
  EXPECT_NE(problem_for(s, "binary.txt")->message.find("binary"), std::string::npos);
  ASSERT_TRUE(problem_for(s, "latin1.txt"));
  EXPECT_NE(problem_for(s, "latin1.txt")->message.find("UTF-8"), std::string::npos);
  EXPECT_NE(problem_for(s, "latin1.txt")->message.find("offset 3"), std::string::npos);
  ASSERT_TRUE(problem_for(s, "huge.txt"));
  EXPECT_NE(problem_for(s, "huge.txt")->message.find("cap"), std::string::npos);
  ASSERT_TRUE(problem_for(s, "does-not-exist"));
  EXPECT_NE(problem_for(s, "does-not-exist")->message.find("o such file"), std::string::npos);

  EXPECT_EQ(hit_titles(kb->search("lighthouses", 5)), (std::set<std::string>{"alpha.txt"}));
  EXPECT_EQ(hit_titles(kb->search("glaciers", 5)), (std::set<std::string>{"Beta Notes"}));
  EXPECT_EQ(hit_titles(kb->search("volcanoes", 5)), (std::set<std::string>{"Gamma Page"}));
  EXPECT_EQ(hit_titles(kb->search("天气", 5)), (std::set<std::string>{"zh.txt"}));
  EXPECT_TRUE(kb->search("login menu", 5).hits.empty()) << "navigation is not content";
  EXPECT_TRUE(kb->search("evil", 5).hits.empty()) << "scripts are not content";
  EXPECT_TRUE(kb->search("hidden", 5).hits.empty());
  // Sources are absolute paths; modification time comes from the file.
  auto info = kb->document_info(fs::absolute(root_ / "alpha.txt").lexically_normal().string());
  ASSERT_TRUE(info);
  EXPECT_GT(info->modified_at, 0);
  EXPECT_EQ(info->source_kind, "file");
}

TEST_F(IngestTest, ReingestIsNoopAndChangedFileIsReplaced) {
  auto kb = open_kb(kb_dir_);
  ASSERT_EQ(ingest_paths(*kb, {root_.string()}, {}).added, 4u);
  auto again = ingest_paths(*kb, {root_.string()}, {});
  EXPECT_EQ(again.unchanged, 4u);
  EXPECT_EQ(again.added, 0u);
  EXPECT_EQ(again.chunks, 0u);
  write_file(root_ / "alpha.txt", "Alpha now talks about submarines.");
  auto changed = ingest_paths(*kb, {root_.string()}, {});
  EXPECT_EQ(changed.replaced, 1u);
  EXPECT_EQ(changed.unchanged, 3u);
  EXPECT_TRUE(kb->search("lighthouses", 5).hits.empty());
  EXPECT_EQ(kb->search("submarines", 5).hits.size(), 1u);
  EXPECT_EQ(kb->stats().documents, 4);
}

TEST_F(IngestTest, IncludeAndExcludeGlobs) {
  auto kb = open_kb(kb_dir_);
  IngestOptions only_md;
  only_md.include = {"*.md"};
  auto s = ingest_paths(*kb, {root_.string()}, only_md);
  EXPECT_EQ(s.added, 1u);
  EXPECT_EQ(s.files_seen, 1u);

  IngestOptions no_sub;
  no_sub.exclude = {"sub", "*.html"};
  auto s2 = ingest_paths(*kb, {root_.string()}, no_sub);
  EXPECT_EQ(s2.added, 2u);  // alpha.txt, zh.txt (beta.md was already there, but sub/ is excluded)
  EXPECT_TRUE(kb->search("volcanoes", 5).hits.empty());

  // An explicitly named file is taken whatever its extension.
  write_file(tmp_.path() / "notes.rst", "Restructured text about tectonic plates.");
  auto s3 = ingest_paths(*kb, {(tmp_.path() / "notes.rst").string()}, {});
  EXPECT_EQ(s3.added, 1u);
  EXPECT_EQ(kb->search("tectonic", 5).hits.size(), 1u);
}

TEST_F(IngestTest, InjectedHtmlExtractorAndProgressCallback) {
  auto kb = open_kb(kb_dir_);
  IngestOptions o;
  int extractor_calls = 0;
  o.html_to_text = [&](std::string_view, std::string* title) {
    ++extractor_calls;
    *title = "Injected";
    return std::string("Extractor output mentions aurora borealis.");
  };
  std::vector<size_t> done;
  size_t total = 0;
  o.progress = [&](const IngestProgress& p) {
    done.push_back(p.files_done);
    total = p.files_total;
    EXPECT_NE(p.last, nullptr);
    return true;
  };
  auto s = ingest_paths(*kb, {root_.string()}, o);
  EXPECT_EQ(extractor_calls, 1);
  EXPECT_EQ(hit_titles(kb->search("aurora", 5)), (std::set<std::string>{"Injected"}));
  EXPECT_EQ(done.size(), s.files_seen);
  EXPECT_EQ(total, s.files_seen);
  EXPECT_EQ(done.back(), s.files_seen);

  // Returning false stops the run after the current file.
  IngestOptions stop;
  int calls = 0;
  stop.progress = [&](const IngestProgress&) { return ++calls < 2; };
  TempDir other;
  auto kb2 = open_kb(other.path());
  auto s2 = ingest_paths(*kb2, {root_.string()}, stop);
  EXPECT_TRUE(s2.stopped);
  EXPECT_EQ(s2.files_seen, 2u);
}

// The ingest process is killed with SIGKILL mid-run; every document it reported as
// committed must be there and searchable, none may be partial, and the database
// must pass integrity checks.
TEST(IngestCrash, SigkillMidIngestLeavesConsistentDatabase) {
  TempDir tmp;
  const fs::path corpus = tmp.path() / "corpus";
  const int kFiles = 150;
  // Distinct pseudo-random texts (similar ones would be rejected as near-duplicates).
  auto text_of = [](int i) {
    static const char* kWords[] = {"river", "stone", "cloud", "lamp",  "forest", "engine", "harbor", "violet",
                                   "copper", "mirror", "signal", "garden", "winter", "rocket", "candle", "meadow"};
    uint32_t x = static_cast<uint32_t>(i) * 2654435761u + 12345u;
    std::string t;
    for (int p = 0; p < 12; ++p) {
      t += "Document token" + std::to_string(i) + "x paragraph " + std::to_string(p);
      for (int w = 0; w < 14; ++w) {
        x = x * 1664525u + 1013904223u;
        t += std::string(" ") + kWords[(x >> 24) % 16];
      }
      t += ".\n\n";
    }
    return t;
  };
  for (int i = 0; i < kFiles; ++i) write_file(corpus / ("f" + std::to_string(1000 + i) + ".txt"), text_of(i));
  KbOptions opts;
  opts.chunker.max_tokens = 24;
  opts.chunker.overlap_tokens = 0;
  const fs::path kb_dir = tmp.path() / "kb";

  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    owlet::Error err;
    auto kb = KnowledgeBase::open(kb_dir.string(), opts, &err);
    if (!kb) _exit(2);
    IngestOptions io;
    io.progress = [&](const IngestProgress& p) {
      // Reported after the file's transaction committed.
      const std::string line = p.last->path + "\n";
      if (write(fds[1], line.data(), line.size()) < 0) _exit(3);
      return true;
    };
    ingest_paths(*kb, {corpus.string()}, io);
    _exit(0);
  }
  close(fds[1]);
  std::string seen;
  char buf[4096];
  int lines = 0;
  while (lines < 40) {
    const ssize_t n = read(fds[0], buf, sizeof(buf));
    if (n <= 0) break;
    seen.append(buf, static_cast<size_t>(n));
    lines = static_cast<int>(std::count(seen.begin(), seen.end(), '\n'));
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  close(fds[0]);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the child finished before it was killed; make the corpus larger";
  ASSERT_GE(lines, 40);

  auto kb = open_kb(kb_dir, opts);
  ASSERT_TRUE(kb);
  std::string report;
  EXPECT_TRUE(kb->check_integrity(&report)) << report;
  // Every reported document is present and searchable.
  size_t pos = 0;
  int reported = 0;
  while (pos < seen.size()) {
    const size_t nl = seen.find('\n', pos);
    if (nl == std::string::npos) break;
    const std::string path = seen.substr(pos, nl - pos);
    pos = nl + 1;
    ++reported;
    const int i = std::stoi(fs::path(path).stem().string().substr(1)) - 1000;
    auto r = kb->search("token" + std::to_string(i) + "x", 50);
    EXPECT_FALSE(r.hits.empty()) << path;
  }
  EXPECT_EQ(reported, lines);
  // No document is partial: each has exactly the chunks its text produces.
  const auto docs = kb->list_documents(0, 1000);
  EXPECT_GE(static_cast<int>(docs.size()), lines);
  for (const auto& d : docs) {
    const int i = std::stoi(fs::path(d.source).stem().string().substr(1)) - 1000;
    EXPECT_EQ(d.chunks, static_cast<int64_t>(chunk_text(text_of(i), opts.chunker).size())) << d.source;
    std::string text;
    Error err;
    EXPECT_TRUE(kb->get_document(d.id, nullptr, &text, &err)) << err;
    EXPECT_EQ(text, text_of(i));
  }
  // And ingest resumes: the rest is added, nothing done twice.
  const auto s = ingest_paths(*kb, {corpus.string()}, {});
  EXPECT_EQ(s.added + s.unchanged, static_cast<size_t>(kFiles));
  EXPECT_EQ(s.unchanged, docs.size());
  EXPECT_EQ(kb->stats().documents, kFiles);
}

}  // namespace
}  // namespace owlet::kb
