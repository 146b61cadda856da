// Model references and the model stores: owlet's own and a fake Ollama store laid out in a
// temp dir (legacy manifests/ and manifests-v2/ layouts), digest verification, list/show/rm.
#include <gtest/gtest.h>

#include <filesystem>

#include "llm/model.h"
#include "models/model_ref.h"
#include "models/model_store.h"
#include "models/sha256.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using namespace owlet::models;
using owlet::test::fixture_model;
using owlet::test::read_file;
using owlet::test::TempDir;
using owlet::test::write_file;

namespace {

std::string put_blob(const fs::path& store, const std::string& bytes) {
  std::string hex = sha256_hex(bytes);
  write_file(store / "blobs" / ("sha256-" + hex), bytes);
  return hex;
}

std::string manifest_for(const std::string& config_hex, size_t config_size, const std::string& model_hex,
                         size_t model_size, const char* model_type = "application/vnd.ollama.image.model") {
  return std::string(R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",)") +
         R"("config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:)" + config_hex +
         R"(","size":)" + std::to_string(config_size) + R"(},"layers":[{"mediaType":")" + model_type +
         R"(","digest":"sha256:)" + model_hex + R"(","size":)" + std::to_string(model_size) + "}]}";
}

// A store (Ollama's layout) holding the qwen2-tiny fixture under the given manifest path.
struct FakeStore {
  fs::path dir;
  std::string gguf;
  std::string model_hex;
  std::string config_hex;
  std::string manifest;

  FakeStore(const fs::path& d, const std::string& gguf_bytes) : dir(d), gguf(gguf_bytes) {
    std::string config = R"({"model_format":"gguf","model_family":"qwen2"})";
    model_hex = put_blob(dir, gguf);
    config_hex = put_blob(dir, config);
    manifest = manifest_for(config_hex, config.size(), model_hex, gguf.size());
  }
  void legacy(const std::string& rel) { write_file(dir / "manifests" / rel, manifest); }
  // manifests-v2: the tag is a symlink to the manifest stored as a blob.
  void v2(const std::string& rel) {
    std::string hex = put_blob(dir, manifest);
    fs::path link = dir / "manifests-v2" / rel;
    fs::create_directories(link.parent_path());
    fs::create_symlink(fs::relative(dir / "blobs" / ("sha256-" + hex), link.parent_path()), link);
  }
};

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string path = fixture_model("qwen2-tiny");
    ASSERT_FALSE(path.empty()) << "fixture models missing (ctest runs fixtures_models first)";
    gguf_ = read_file(path);
    paths_.owlet = (tmp_ / "owlet").string();
    paths_.ollama = (tmp_ / "ollama").string();
  }
  TempDir tmp_;
  std::string gguf_;
  StorePaths paths_;
};

bool one_line(const std::string& s) { return !s.empty() && s.find('\n') == std::string::npos; }

}  // namespace

TEST(ModelRef, ParsesEveryKind) {
  ModelRef r;
  owlet::Error err;
  ASSERT_TRUE(parse_model_ref("qwen2.5:0.5b", &r, &err)) << err.message;
  EXPECT_EQ(r.kind, ModelRef::Kind::ollama);
  EXPECT_EQ(r.ollama.host, "registry.ollama.ai");
  EXPECT_EQ(r.ollama.ns, "library");
  EXPECT_EQ(r.ollama.model, "qwen2.5");
  EXPECT_EQ(r.ollama.tag, "0.5b");
  EXPECT_EQ(r.display(), "qwen2.5:0.5b");

  ASSERT_TRUE(parse_model_ref("deepseek-r1", &r, &err)) << err.message;
  EXPECT_EQ(r.ollama.tag, "latest");
  ASSERT_TRUE(parse_model_ref("library/x:tag", &r, &err)) << err.message;
  EXPECT_EQ(r.kind, ModelRef::Kind::ollama);
  EXPECT_EQ(r.ollama.ns, "library");
  EXPECT_EQ(r.display(), "x:tag");
  ASSERT_TRUE(parse_model_ref("myuser/mymodel", &r, &err)) << err.message;
  EXPECT_EQ(r.ollama.ns, "myuser");
  EXPECT_EQ(r.display(), "myuser/mymodel:latest");
  ASSERT_TRUE(parse_model_ref("localhost:5000/team/model:v1", &r, &err)) << err.message;
  EXPECT_EQ(r.kind, ModelRef::Kind::ollama);
  EXPECT_EQ(r.ollama.host, "localhost:5000");
  EXPECT_EQ(r.ollama.ns, "team");
  EXPECT_EQ(r.ollama.tag, "v1");
  ASSERT_TRUE(parse_model_ref("hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M", &r, &err)) << err.message;
  EXPECT_EQ(r.kind, ModelRef::Kind::ollama);
  EXPECT_EQ(r.ollama.host, "hf.co");

  ASSERT_TRUE(parse_model_ref("hf://Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_0.gguf", &r, &err)) << err.message;
  EXPECT_EQ(r.kind, ModelRef::Kind::hf);
  EXPECT_EQ(r.hf.owner, "Qwen");
  EXPECT_EQ(r.hf.repo, "Qwen2.5-0.5B-Instruct-GGUF");
  EXPECT_EQ(r.hf.file, "qwen2.5-0.5b-instruct-q4_0.gguf");
  EXPECT_EQ(r.hf.revision, "main");
  ASSERT_TRUE(parse_model_ref("hf://o/r/sub/dir/m.gguf@v1.0", &r, &err)) << err.message;
  EXPECT_EQ(r.hf.file, "sub/dir/m.gguf");
  EXPECT_EQ(r.hf.revision, "v1.0");
  EXPECT_EQ(r.display(), "hf://o/r/sub/dir/m.gguf@v1.0");
  ASSERT_TRUE(parse_model_ref("https://huggingface.co/o/r/resolve/abc123/m.gguf?download=true", &r, &err)) << err.message;
  EXPECT_EQ(r.kind, ModelRef::Kind::hf);
  EXPECT_EQ(r.hf.revision, "abc123");
  EXPECT_EQ(r.hf.file, "m.gguf");

  for (const char* p : {"/models/x.gguf", "./x.gguf", "model.GGUF", "some/dir/model", "~/m.gguf"}) {
    ASSERT_TRUE(parse_model_ref(p, &r, &err)) << p << ": " << err.message;
    EXPECT_EQ(r.kind, ModelRef::Kind::path) << p;
  }
}

TEST(ModelRef, MalformedNamesGiveOneLineErrors) {
  for (const char* bad : {"qwen2.5:", "qwen2.5::0.5b", "-bad", "name with space", "x@sha256:00",
                          "hf://owner", "hf://o/r/file.bin", "hf://o/r/../x.gguf", "hf://o/r/m.gguf@", "ftp://x/y",
                          "qwen:bad$tag", ""}) {
    ModelRef r;
    owlet::Error err;
    EXPECT_FALSE(parse_model_ref(bad, &r, &err)) << bad;
    EXPECT_TRUE(one_line(err.message)) << bad << " → " << err.message;
  }
  OllamaName n;
  owlet::Error err;
  EXPECT_FALSE(parse_ollama_name("a/b/c/d:e", &n, &err));
  EXPECT_TRUE(one_line(err.message)) << err.message;
  EXPECT_FALSE(parse_ollama_name("bad host/ns/m:t", &n, &err));
  EXPECT_TRUE(one_line(err.message)) << err.message;
  EXPECT_FALSE(parse_ollama_name("a//b", &n, &err));
  EXPECT_TRUE(one_line(err.message)) << err.message;
}

TEST_F(StoreTest, ResolvesLegacyOllamaLayout) {
  FakeStore s(paths_.ollama, gguf_);
  s.legacy("registry.ollama.ai/library/qwen2.5/0.5b");
  s.legacy("registry.ollama.ai/library/qwen2.5/latest");
  s.legacy("registry.ollama.ai/myuser/tiny/q4");
  s.legacy("localhost:5000/team/model/v1");
  ModelStore store(paths_);
  std::string path;
  owlet::Error err;
  for (const char* name : {"qwen2.5:0.5b", "qwen2.5", "library/qwen2.5:0.5b", "registry.ollama.ai/library/qwen2.5:0.5b",
                           "Qwen2.5:0.5B", "myuser/tiny:q4", "localhost:5000/team/model:v1"}) {
    ASSERT_TRUE(store.resolve(name, &path, &err)) << name << ": " << err.message;
    EXPECT_EQ(fs::path(path), s.dir / "blobs" / ("sha256-" + s.model_hex)) << name;
  }
  owlet::Error load_err;
  auto model = owlet::llm::Model::load({path, 0, true}, &load_err);
  ASSERT_TRUE(model) << load_err;
  EXPECT_EQ(model->info().architecture, "qwen2");
}

TEST_F(StoreTest, ResolvesManifestsV2Layout) {
  FakeStore s(paths_.ollama, gguf_);
  s.v2("ollama.com/library/deepseek-r1/1.5b");
  ModelStore store(paths_);
  std::string path;
  owlet::Error err;
  ASSERT_TRUE(store.resolve("deepseek-r1:1.5b", &path, &err)) << err.message;
  EXPECT_EQ(fs::path(path), s.dir / "blobs" / ("sha256-" + s.model_hex));
  auto entries = store.list();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].name, "deepseek-r1:1.5b");
  EXPECT_EQ(entries[0].store, "ollama");
  EXPECT_EQ(entries[0].digest, "sha256:" + s.model_hex);
}

TEST_F(StoreTest, ResolvesThroughTheDefaultStoreEnvironment) {
  FakeStore s(paths_.ollama, gguf_);
  s.legacy("registry.ollama.ai/library/tiny/latest");
  setenv("OLLAMA_MODELS", paths_.ollama.c_str(), 1);
  setenv("OWLET_MODELS", paths_.owlet.c_str(), 1);
  std::string path;
  owlet::Error err;
  EXPECT_TRUE(resolve_model("tiny", &path, &err)) << err.message;
  EXPECT_EQ(fs::path(path), s.dir / "blobs" / ("sha256-" + s.model_hex));
  // Paths pass through untouched (Model::load reports missing files itself).
  EXPECT_TRUE(resolve_model("/no/such/model.gguf", &path, &err));
  EXPECT_EQ(path, "/no/such/model.gguf");
  unsetenv("OLLAMA_MODELS");
  unsetenv("OWLET_MODELS");
}

TEST_F(StoreTest, DigestMismatchIsDetected) {
  FakeStore s(paths_.ollama, gguf_);
  s.legacy("registry.ollama.ai/library/qwen2.5/0.5b");
  std::string blob = (s.dir / "blobs" / ("sha256-" + s.model_hex)).string();
  std::string bad = gguf_;
  bad[bad.size() / 2] ^= 1;
  write_file(blob, bad);
  ModelStore store(paths_);
  std::string path;
  owlet::Error err;
  EXPECT_FALSE(store.resolve("qwen2.5:0.5b", &path, &err));
  EXPECT_TRUE(one_line(err.message)) << err.message;
  EXPECT_NE(err.message.find("corrupt"), std::string::npos) << err.message;
}

TEST_F(StoreTest, VerificationIsCachedAndInvalidatedByChanges) {
  FakeStore s(paths_.ollama, gguf_);
  s.legacy("registry.ollama.ai/library/qwen2.5/0.5b");
  ModelStore store(paths_);
  std::string path;
  owlet::Error err;
  ASSERT_TRUE(store.resolve("qwen2.5:0.5b", &path, &err)) << err.message;
  std::string cache = read_file(fs::path(paths_.owlet) / "verified");
  EXPECT_EQ(cache.rfind(s.model_hex, 0), 0u) << cache;
  ASSERT_TRUE(store.resolve("qwen2.5:0.5b", &path, &err)) << err.message;  // from the cache
  // Same size, new bytes, and even the old mtime put back: ctime still changes, so it is re-hashed.
  auto mtime = fs::last_write_time(path);
  std::string bad = gguf_;
  bad[100] ^= 1;
  write_file(path, bad);
  fs::last_write_time(path, mtime);
  EXPECT_FALSE(store.resolve("qwen2.5:0.5b", &path, &err));
  EXPECT_NE(err.message.find("corrupt"), std::string::npos) << err.message;
}

TEST_F(StoreTest, MissingModelsAndLayersGiveOneLineErrors) {
  FakeStore s(paths_.ollama, gguf_);
  write_file(s.dir / "manifests/registry.ollama.ai/library/safetensors/latest",
             manifest_for(s.config_hex, 10, s.model_hex, gguf_.size(), "application/vnd.ollama.image.tensor"));
  write_file(s.dir / "manifests/registry.ollama.ai/library/gone/latest",
             manifest_for(s.config_hex, 10, std::string(64, 'a'), 5));
  write_file(s.dir / "manifests/registry.ollama.ai/library/garbage/latest", "not json");
  ModelStore store(paths_);
  std::string path;
  owlet::Error err;
  EXPECT_FALSE(store.resolve("nosuch:1b", &path, &err));
  EXPECT_TRUE(one_line(err.message)) << err.message;
  EXPECT_NE(err.message.find(paths_.owlet), std::string::npos) << err.message;
  EXPECT_NE(err.message.find(paths_.ollama), std::string::npos) << err.message;
  EXPECT_NE(err.message.find("owlet pull nosuch:1b"), std::string::npos) << err.message;
  EXPECT_FALSE(store.resolve("safetensors", &path, &err));
  EXPECT_NE(err.message.find("no GGUF layer"), std::string::npos) << err.message;
  EXPECT_FALSE(store.resolve("gone", &path, &err));
  EXPECT_NE(err.message.find("missing"), std::string::npos) << err.message;
  EXPECT_FALSE(store.resolve("garbage", &path, &err));
  EXPECT_TRUE(one_line(err.message)) << err.message;
  EXPECT_FALSE(store.resolve("hf://o/r/m.gguf", &path, &err));
  EXPECT_TRUE(one_line(err.message)) << err.message;
  EXPECT_NE(err.message.find("owlet pull hf://o/r/m.gguf"), std::string::npos) << err.message;
  std::vector<std::string> warnings;
  EXPECT_TRUE(store.list(&warnings).size() >= 1);  // "gone" lists (its manifest is fine), the others warn
  EXPECT_EQ(warnings.size(), 2u);
}

TEST_F(StoreTest, OwletStoreComesFirstAndListShowsBoth) {
  FakeStore ollama(paths_.ollama, gguf_);
  ollama.legacy("registry.ollama.ai/library/qwen2.5/0.5b");
  ollama.legacy("registry.ollama.ai/library/other/latest");
  FakeStore owlet(paths_.owlet, gguf_);
  owlet.legacy("registry.ollama.ai/library/qwen2.5/0.5b");
  ModelStore store(paths_);
  std::string path;
  owlet::Error err;
  ASSERT_TRUE(store.resolve("qwen2.5:0.5b", &path, &err)) << err.message;
  EXPECT_EQ(fs::path(path).parent_path().parent_path(), fs::path(paths_.owlet));
  auto entries = store.list();
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].store, "owlet");
  EXPECT_EQ(entries[0].name, "qwen2.5:0.5b");
  EXPECT_EQ(entries[1].store, "ollama");
  EXPECT_EQ(entries[1].name, "other:latest");
  EXPECT_EQ(entries[2].name, "qwen2.5:0.5b");
  EXPECT_GT(entries[0].size, gguf_.size());  // GGUF + config
  EXPECT_GT(entries[0].modified, 0);
}

TEST_F(StoreTest, ShowReadsGgufMetadata) {
  FakeStore s(paths_.ollama, gguf_);
  s.legacy("registry.ollama.ai/library/qwen2.5/0.5b");
  ModelStore store(paths_);
  ModelDetails d;
  owlet::Error err;
  ASSERT_TRUE(store.show("qwen2.5:0.5b", &d, &err)) << err.message;
  EXPECT_EQ(d.entry.store, "ollama");
  EXPECT_EQ(d.file_size, gguf_.size());
  EXPECT_EQ(d.gguf.architecture, "qwen2");
  EXPECT_GT(d.gguf.n_params, 1000u);
  EXPECT_GT(d.gguf.context_length, 0u);
  EXPECT_TRUE(d.gguf.has_chat_template);
  EXPECT_FALSE(d.gguf.quantization.empty());
  // A plain path works too.
  ASSERT_TRUE(store.show(fixture_model("qwen2-tiny"), &d, &err)) << err.message;
  EXPECT_TRUE(d.entry.store.empty());
  EXPECT_EQ(d.gguf.architecture, "qwen2");
}

TEST_F(StoreTest, RemoveDeletesOnlyUnsharedBlobsFromOwletsStore) {
  FakeStore owlet(paths_.owlet, gguf_);
  owlet.legacy("registry.ollama.ai/library/a/latest");
  owlet.legacy("registry.ollama.ai/library/b/latest");  // shares both blobs with a
  std::string solo = gguf_ + std::string(16, '\0');
  std::string solo_hex = put_blob(paths_.owlet, solo);
  write_file(fs::path(paths_.owlet) / "manifests/registry.ollama.ai/library/c/latest",
             manifest_for(owlet.config_hex, 10, solo_hex, solo.size()));
  FakeStore ollama(paths_.ollama, gguf_);
  ollama.legacy("registry.ollama.ai/library/theirs/latest");
  ModelStore store(paths_);
  std::vector<std::string> removed;
  owlet::Error err;

  EXPECT_FALSE(store.remove("theirs", &removed, &err));
  EXPECT_TRUE(one_line(err.message)) << err.message;
  EXPECT_NE(err.message.find("Ollama's store"), std::string::npos) << err.message;
  EXPECT_NE(err.message.find("ollama rm theirs:latest"), std::string::npos) << err.message;
  EXPECT_TRUE(fs::exists(ollama.dir / "manifests/registry.ollama.ai/library/theirs/latest"));

  ASSERT_TRUE(store.remove("c", &removed, &err)) << err.message;
  EXPECT_FALSE(fs::exists(fs::path(paths_.owlet) / "blobs" / ("sha256-" + solo_hex)));
  EXPECT_TRUE(fs::exists(fs::path(paths_.owlet) / "blobs" / ("sha256-" + owlet.config_hex)));  // still used by a, b
  EXPECT_FALSE(fs::exists(fs::path(paths_.owlet) / "manifests/registry.ollama.ai/library/c"));

  ASSERT_TRUE(store.remove("a:latest", &removed, &err)) << err.message;
  EXPECT_TRUE(fs::exists(fs::path(paths_.owlet) / "blobs" / ("sha256-" + owlet.model_hex)));  // b still needs it
  ASSERT_TRUE(store.remove("b", &removed, &err)) << err.message;
  EXPECT_FALSE(fs::exists(fs::path(paths_.owlet) / "blobs" / ("sha256-" + owlet.model_hex)));
  EXPECT_FALSE(fs::exists(fs::path(paths_.owlet) / "blobs" / ("sha256-" + owlet.config_hex)));

  EXPECT_FALSE(store.remove("never:pulled", &removed, &err));
  EXPECT_TRUE(one_line(err.message)) << err.message;
  EXPECT_FALSE(store.remove("/some/file.gguf", &removed, &err));
  EXPECT_TRUE(one_line(err.message)) << err.message;
  ASSERT_EQ(store.list().size(), 1u);  // only Ollama's "theirs" is left
}
