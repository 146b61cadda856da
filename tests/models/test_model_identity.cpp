// What a model file is to the answer cache: a store blob is its digest; a loose
// file is its path, size and mtime, so editing or replacing it makes a new model.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fcntl.h>

#include "models/model_identity.h"
#include "support/test_support.h"

using owlet::models::blob_digest;
using owlet::models::model_identity;
using owlet::test::TempDir;
using owlet::test::write_file;

namespace {

const std::string kHex(64, 'a');

void set_mtime(const std::string& path, time_t sec) {
  struct timespec times[2] = {{0, UTIME_OMIT}, {sec, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
}

}  // namespace

TEST(ModelIdentity, StoreBlobIsItsDigest) {
  TempDir d;
  std::string blob = (d / ("blobs/sha256-" + kHex)).string();
  write_file(blob, "GGUF...");
  std::string id;
  owlet::Error err;
  ASSERT_TRUE(model_identity(blob, &id, &err)) << err;
  EXPECT_EQ(id, "sha256:" + kHex);
  EXPECT_EQ(blob_digest(blob), "sha256:" + kHex);
  // Only a blob of a store: the same name elsewhere, or a malformed one, is a loose file.
  EXPECT_EQ(blob_digest((d / ("other/sha256-" + kHex)).string()), "");
  EXPECT_EQ(blob_digest((d / "blobs/sha256-xyz").string()), "");
}

TEST(ModelIdentity, LooseFileChangesWithItsContentOrTime) {
  TempDir d;
  std::string path = (d / "model.gguf").string();
  write_file(path, "GGUF version one");
  set_mtime(path, 1700000000);
  std::string first, again, touched, rewritten;
  owlet::Error err;
  ASSERT_TRUE(model_identity(path, &first, &err)) << err;
  ASSERT_TRUE(model_identity(path, &again, &err));
  EXPECT_EQ(first, again);
  EXPECT_EQ(first.rfind("file:" + path + ":16:", 0), 0u) << first;
  set_mtime(path, 1700000001);
  ASSERT_TRUE(model_identity(path, &touched, &err));
  EXPECT_NE(touched, first);
  write_file(path, "GGUF version two, longer");
  set_mtime(path, 1700000000);
  ASSERT_TRUE(model_identity(path, &rewritten, &err));
  EXPECT_NE(rewritten, first);
}

TEST(ModelIdentity, MissingFileIsNotFound) {
  TempDir d;
  std::string id;
  owlet::Error err;
  EXPECT_FALSE(model_identity((d / "gone.gguf").string(), &id, &err));
  EXPECT_EQ(err.kind, owlet::ErrorKind::not_found);
}
