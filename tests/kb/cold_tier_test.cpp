// Cold tier: zstd archive records, dictionaries, checksums; and get_document on top.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>

#include "kb/cold_archive.h"
#include "kb/knowledge_base.h"
#include "support/test_support.h"

namespace owlet::kb {
namespace {

using owlet::test::TempDir;
namespace fs = std::filesystem;

std::string sample_text(int i) {
  return "Record " + std::to_string(i) + ": the owlet knowledge base keeps full documents in a compressed archive. " +
         "Each record has a checksum, so corruption is detected. 今天上海天气晴 " + std::to_string(i * 31);
}

TEST(ColdArchive, RoundTripsAndDetectsCorruption) {
  TempDir dir;
  const std::string path = (dir.path() / "a.cold").string();
  ColdArchive a;
  owlet::Error err;
  ASSERT_TRUE(a.open(path, &err)) << err;
  std::vector<ColdLocation> locs(3);
  std::string big;
  for (int i = 0; i < 2000; ++i) big += sample_text(i) + "\n";
  ASSERT_TRUE(a.append(sample_text(0), 0, &locs[0], &err)) << err;
  ASSERT_TRUE(a.append(big, 0, &locs[1], &err)) << err;
  ASSERT_TRUE(a.append(sample_text(2), 0, &locs[2], &err)) << err;
  EXPECT_LT(locs[1].length, big.size() / 10) << "zstd should compress repetitive text well";

  std::string out;
  ASSERT_TRUE(a.read(locs[1], &out, &err)) << err;
  EXPECT_EQ(out, big);
  ASSERT_TRUE(a.read(locs[2], &out, &err)) << err;
  EXPECT_EQ(out, sample_text(2));

  // Flip one payload byte of record 0: checksum catches it.
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(locs[0].offset + ColdArchive::kHeaderSize + 2));
    f.put('\x55');
  }
  EXPECT_FALSE(a.read(locs[0], &out, &err));
  EXPECT_NE(err.message.find("checksum"), std::string::npos) << err;
  // The others are unaffected.
  EXPECT_TRUE(a.read(locs[2], &out, &err)) << err;

  // Truncate the file in the middle of the last record.
  a.close();
  fs::resize_file(path, locs[2].offset + locs[2].length - 5);
  ColdArchive b;
  ASSERT_TRUE(b.open(path, &err));
  EXPECT_FALSE(b.read(locs[2], &out, &err));
  EXPECT_NE(err.message.find("truncated"), std::string::npos) << err;
  EXPECT_TRUE(b.read(locs[1], &out, &err)) << err;
}

TEST(ColdArchive, DictionaryShrinksSmallRecords) {
  TempDir dir;
  std::vector<std::string> samples;
  for (int i = 0; i < 300; ++i) samples.push_back(sample_text(i));
  std::string dict;
  Error err;
  ASSERT_TRUE(train_dictionary(samples, 8192, &dict, &err)) << err;
  ColdArchive a;
  ASSERT_TRUE(a.open((dir.path() / "d.cold").string(), &err));
  ASSERT_TRUE(a.add_dictionary(1, dict, &err)) << err;
  ColdLocation plain, with_dict;
  ASSERT_TRUE(a.append(sample_text(1000), 0, &plain, &err));
  ASSERT_TRUE(a.append(sample_text(1000), 1, &with_dict, &err));
  EXPECT_LT(with_dict.length * 2, plain.length) << plain.length << " vs " << with_dict.length;
  std::string out;
  ASSERT_TRUE(a.read(with_dict, &out, &err)) << err;
  EXPECT_EQ(out, sample_text(1000));
  // Without the dictionary registered, the record cannot be decoded, and says why.
  ColdArchive b;
  ASSERT_TRUE(b.open((dir.path() / "d.cold").string(), &err));
  EXPECT_FALSE(b.read(with_dict, &out, &err));
  EXPECT_NE(err.message.find("dictionary"), std::string::npos) << err;
}

TEST(ColdTier, GetDocumentReturnsFullTextAndTrainsDictionary) {
  TempDir dir;
  KbOptions opts;
  opts.dict_train_samples = 64;
  opts.near_dup_max_distance = -1;  // samples are deliberately similar
  owlet::Error err;
  {
    auto kb = KnowledgeBase::open(dir.path().string(), opts, &err);
    ASSERT_TRUE(kb) << err;
    for (int i = 0; i < 150; ++i) {
      Document d;
      d.source = "doc" + std::to_string(i);
      d.text = sample_text(i);
      ASSERT_TRUE(kb->add(d).ok());
    }
    const auto s = kb->stats();
    EXPECT_EQ(s.cold_dictionaries, 1);
    EXPECT_EQ(s.cold_blobs, 150);
  }
  // Reopen: dictionary loaded from SQLite, every document readable.
  auto kb = KnowledgeBase::open(dir.path().string(), opts, &err);
  ASSERT_TRUE(kb) << err;
  for (int i : {0, 70, 149}) {
    const auto info = kb->document_info("doc" + std::to_string(i));
    ASSERT_TRUE(info);
    DocumentInfo got;
    std::string text;
    ASSERT_TRUE(kb->get_document(info->id, &got, &text, &err)) << err;
    EXPECT_EQ(text, sample_text(i));
    EXPECT_EQ(got.source, "doc" + std::to_string(i));
  }
  EXPECT_FALSE(kb->get_document(999999, nullptr, nullptr, &err));
}

TEST(ColdTier, TruncatedArchiveIsReportedNotReturned) {
  TempDir dir;
  owlet::Error err;
  int64_t first = 0, last = 0;
  {
    auto kb = KnowledgeBase::open(dir.path().string(), {}, &err);
    ASSERT_TRUE(kb) << err;
    Document d;
    d.source = "one";
    d.text = "First document, stays intact.";
    first = kb->add(d).document_id;
    d.source = "two";
    d.text = "Second document, its record gets truncated by a crash or a bad disk.";
    last = kb->add(d).document_id;
  }
  const fs::path cold = dir.path() / "kb.cold";
  fs::resize_file(cold, fs::file_size(cold) - 7);
  auto kb = KnowledgeBase::open(dir.path().string(), {}, &err);
  ASSERT_TRUE(kb) << err;
  std::string text;
  EXPECT_FALSE(kb->get_document(last, nullptr, &text, &err));
  EXPECT_NE(err.message.find("truncated"), std::string::npos) << err;
  ASSERT_TRUE(kb->get_document(first, nullptr, &text, &err)) << err;
  EXPECT_EQ(text, "First document, stays intact.");
  // The hot tier still serves the damaged document's chunks.
  EXPECT_EQ(kb->search("truncated", 5).hits.size(), 1u);
}

TEST(ColdTier, IdenticalTextIsStoredOnceAndVacuumDropsDeadRecords) {
  TempDir dir;
  owlet::Error err;
  auto kb = KnowledgeBase::open(dir.path().string(), {}, &err);
  ASSERT_TRUE(kb) << err;
  std::string big;
  for (int i = 0; i < 3000; ++i) big += "Line " + std::to_string(i) + " of a large document that will be removed.\n";
  Document d;
  d.source = "big";
  d.text = big;
  ASSERT_TRUE(kb->add(d).ok());
  d.source = "keep";
  d.text = "A small document that stays.";
  const int64_t keep = kb->add(d).document_id;
  const int64_t before = kb->stats().cold_bytes;
  bool found = false;
  ASSERT_TRUE(kb->remove("big", &found, &err));
  ASSERT_TRUE(kb->vacuum(&err)) << err;
  const auto s = kb->stats();
  EXPECT_LT(s.cold_bytes * 4, before) << "vacuum should drop the removed document's record";
  EXPECT_EQ(s.cold_blobs, 1);
  std::string text;
  ASSERT_TRUE(kb->get_document(keep, nullptr, &text, &err)) << err;
  EXPECT_EQ(text, "A small document that stays.");
  // Exactly one archive file remains.
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir.path()))
    if (e.path().filename().string().rfind("kb.cold", 0) == 0) ++files;
  EXPECT_EQ(files, 1);
  // And it survives a reopen.
  kb.reset();
  kb = KnowledgeBase::open(dir.path().string(), {}, &err);
  ASSERT_TRUE(kb) << err;
  ASSERT_TRUE(kb->get_document(keep, nullptr, &text, &err)) << err;
  std::string report;
  EXPECT_TRUE(kb->check_integrity(&report)) << report;
}

TEST(ColdTier, VacuumInAnotherInstanceSwitchesArchiveForEveryone) {
  TempDir dir;
  owlet::Error err;
  auto a = KnowledgeBase::open(dir.path().string(), {}, &err);
  ASSERT_TRUE(a) << err;
  auto b = KnowledgeBase::open(dir.path().string(), {}, &err);
  ASSERT_TRUE(b) << err;
  Document d;
  d.source = "first";
  d.text = "Written before the vacuum by instance b.";
  const int64_t first = b->add(d).document_id;
  d.source = "gone";
  d.text = "Removed, so the vacuum drops its record.";
  ASSERT_TRUE(b->add(d).ok());
  bool found = false;
  ASSERT_TRUE(b->remove("gone", &found, &err));
  ASSERT_TRUE(a->vacuum(&err)) << err;
  // b still has the old archive open; its next write must land in the new one.
  d.source = "second";
  d.text = "Written after the vacuum by instance b.";
  const int64_t second = b->add(d).document_id;
  for (auto* kb : {a.get(), b.get()}) {
    std::string text;
    ASSERT_TRUE(kb->get_document(first, nullptr, &text, &err)) << err;
    EXPECT_EQ(text, "Written before the vacuum by instance b.");
    ASSERT_TRUE(kb->get_document(second, nullptr, &text, &err)) << err;
    EXPECT_EQ(text, "Written after the vacuum by instance b.");
  }
  b.reset();
  a.reset();
  auto c = KnowledgeBase::open(dir.path().string(), {}, &err);
  ASSERT_TRUE(c) << err;
  std::string text;
  ASSERT_TRUE(c->get_document(second, nullptr, &text, &err)) << err;
}

}  // namespace
}  // namespace owlet::kb
