// `pull` against a loopback registry (tests/support/registry_server): Ollama registry protocol with
// real manifests and sha256 digests, Hugging Face resolve URLs, resume after a dropped connection,
// corrupted blobs rejected with nothing left behind; and `owlet pull` / `owlet models` end to end.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>

#include "llm/model.h"
#include "models/model_store.h"
#include "models/pull.h"
#include "support/registry_server.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using namespace owlet::models;
using owlet::test::count_lines;
using owlet::test::fixture_model;
using owlet::test::ProcessOptions;
using owlet::test::ProcessResult;
using owlet::test::read_file;
using owlet::test::RegistryServer;
using owlet::test::run_process;
using owlet::test::TempDir;
using owlet::test::write_file;

namespace {

class PullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string path = fixture_model("qwen2-tiny");
    ASSERT_FALSE(path.empty()) << "fixture models missing (ctest runs fixtures_models first)";
    gguf_ = read_file(path);
    paths_.owlet = (tmp_ / "owlet").string();
    paths_.ollama = (tmp_ / "ollama").string();
  }
  PullOptions options() {
    PullOptions o;
    o.store_dir = paths_.owlet;
    o.registry = server_.url();
    o.hf_endpoint = server_.url();
    o.insecure = true;
    o.retry_delay_ms = 10;
    return o;
  }
  std::vector<std::string> store_files() {
    std::vector<std::string> out;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(paths_.owlet, ec); it != fs::recursive_directory_iterator();
         it.increment(ec))
      if (!it->is_directory() && it->path().filename() != "verified") out.push_back(it->path().string());
    return out;
  }
  TempDir tmp_;
  RegistryServer server_;
  std::string gguf_;
  StorePaths paths_;
};

bool one_line(const std::string& s) { return !s.empty() && s.find('\n') == std::string::npos; }

}  // namespace

TEST_F(PullTest, PullsFromTheOllamaRegistryAndLoads) {
  auto pub = server_.add_ollama_model("library", "qwen2.5", "0.5b", gguf_);
  uint64_t last_done = 0, last_total = 0;
  int calls = 0;
  PullOptions o = options();
  o.progress = [&](uint64_t done, uint64_t total, double) {
    EXPECT_GE(done, last_done);
    last_done = done;
    last_total = total;
    ++calls;
  };
  PullResult r = pull_model("qwen2.5:0.5b", o);
  ASSERT_TRUE(r.ok()) << r.error.message;
  EXPECT_EQ(r.digest, "sha256:" + pub.model_hex);
  EXPECT_EQ(fs::path(r.path), fs::path(paths_.owlet) / "blobs" / ("sha256-" + pub.model_hex));
  EXPECT_GT(calls, 0);
  EXPECT_EQ(last_done, last_total);
  EXPECT_EQ(last_total, r.total_bytes);
  EXPECT_GT(r.total_bytes, gguf_.size());
  // The manifest as served, at Ollama's legacy path; every layer's blob beside it.
  EXPECT_EQ(read_file(fs::path(paths_.owlet) / "manifests/registry.ollama.ai/library/qwen2.5/0.5b"), pub.manifest);
  for (const auto& hex : {pub.model_hex, pub.config_hex, pub.template_hex})
    EXPECT_TRUE(fs::exists(fs::path(paths_.owlet) / "blobs" / ("sha256-" + hex))) << hex;
  // Protocol: manifest with the docker v2 Accept header, blobs through the redirect.
  bool saw_manifest = false;
  for (const auto& req : server_.requests()) {
    if (req.path == "/v2/library/qwen2.5/manifests/0.5b") {
      saw_manifest = true;
      EXPECT_NE(req.accept.find("application/vnd.docker.distribution.manifest.v2+json"), std::string::npos);
    }
  }
  EXPECT_TRUE(saw_manifest);
  EXPECT_EQ(server_.blob_requests(pub.model_hex).size(), 1u);

  owlet::Error err;
  auto model = owlet::llm::Model::load({r.path, 0, true}, &err);
  ASSERT_TRUE(model) << err;
  EXPECT_EQ(model->info().architecture, "qwen2");
  ModelStore store(paths_);
  owlet::Error serr;
  std::string path;
  ASSERT_TRUE(store.resolve("qwen2.5:0.5b", &path, &serr)) << serr.message;
  EXPECT_EQ(path, r.path);
  auto entries = store.list();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].store, "owlet");
  EXPECT_EQ(entries[0].name, "qwen2.5:0.5b");

  // Pulling again downloads nothing: every blob is present and verified.
  PullResult again = pull_model("qwen2.5:0.5b", options());
  ASSERT_TRUE(again.ok()) << again.error.message;
  EXPECT_EQ(again.downloaded_bytes, 0u);
  EXPECT_EQ(again.skipped_blobs, 3);
}

TEST_F(PullTest, InterruptedDownloadResumesWithRange) {
  auto pub = server_.add_ollama_model("library", "qwen2.5", "0.5b", gguf_);
  const uint64_t cut = gguf_.size() / 3;
  server_.drop_after(pub.model_hex, cut, 1);
  PullOptions o = options();
  o.max_retries = 0;  // let the first pull fail, as if the process had been interrupted
  PullResult first = pull_model("qwen2.5:0.5b", o);
  ASSERT_FALSE(first.ok());
  EXPECT_TRUE(one_line(first.error.message)) << first.error.message;
  EXPECT_NE(first.error.message.find("resume"), std::string::npos) << first.error.message;
  fs::path partial = fs::path(paths_.owlet) / "blobs" / ("sha256-" + pub.model_hex + "-partial");
  ASSERT_TRUE(fs::exists(partial));
  EXPECT_EQ(fs::file_size(partial), cut);
  EXPECT_FALSE(fs::exists(fs::path(paths_.owlet) / "manifests/registry.ollama.ai/library/qwen2.5/0.5b"));
  EXPECT_TRUE(ModelStore(paths_).list().empty());  // a half-pulled model is never listed

  PullResult second = pull_model("qwen2.5:0.5b", options());
  ASSERT_TRUE(second.ok()) << second.error.message;
  EXPECT_EQ(second.resumed, 1);
  auto reqs = server_.blob_requests(pub.model_hex);
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].range, "");
  EXPECT_EQ(reqs[1].range, "bytes=" + std::to_string(cut) + "-");
  EXPECT_EQ(reqs[0].bytes_sent, cut);
  EXPECT_EQ(reqs[1].bytes_sent, gguf_.size() - cut);
  EXPECT_EQ(server_.bytes_sent(pub.model_hex), gguf_.size());  // nothing downloaded twice
  EXPECT_FALSE(fs::exists(partial));
  owlet::Error err;
  auto model = owlet::llm::Model::load({second.path, 0, true}, &err);
  ASSERT_TRUE(model) << err;
}

TEST_F(PullTest, DroppedConnectionIsResumedWithinOnePull) {
  auto pub = server_.add_ollama_model("library", "tiny", "latest", gguf_);
  server_.drop_after(pub.model_hex, gguf_.size() / 2, 2);
  std::vector<std::string> status;
  PullOptions o = options();
  o.status = [&](const std::string& s) { status.push_back(s); };
  PullResult r = pull_model("tiny", o);
  ASSERT_TRUE(r.ok()) << r.error.message;
  EXPECT_EQ(r.resumed, 2);
  EXPECT_EQ(server_.bytes_sent(pub.model_hex), gguf_.size());
  EXPECT_EQ(r.downloaded_bytes, r.total_bytes);
  auto reqs = server_.blob_requests(pub.model_hex);
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[2].range, "bytes=" + std::to_string(gguf_.size() / 2) + "-");
}

TEST_F(PullTest, CorruptedBlobIsRejectedAndNothingIsLeft) {
  auto pub = server_.add_ollama_model("library", "qwen2.5", "0.5b", gguf_);
  server_.corrupt(pub.model_hex);
  PullResult r = pull_model("qwen2.5:0.5b", options());
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(one_line(r.error.message)) << r.error.message;
  EXPECT_NE(r.error.message.find("failed verification"), std::string::npos) << r.error.message;
  EXPECT_EQ(store_files(), std::vector<std::string>{});  // no partial, no blob, no manifest
  EXPECT_TRUE(ModelStore(paths_).list().empty());

  // A corrupted partial left by someone else is caught the same way after a resume.
  TempDir other;
  std::string bad = gguf_;
  bad[10] ^= 1;
  write_file(fs::path(paths_.owlet) / "blobs" / ("sha256-" + pub.model_hex + "-partial"), bad.substr(0, 1000));
  RegistryServer clean;
  auto pub2 = clean.add_ollama_model("library", "qwen2.5", "0.5b", gguf_);
  ASSERT_EQ(pub2.model_hex, pub.model_hex);
  PullOptions o = options();
  o.registry = clean.url();
  PullResult r2 = pull_model("qwen2.5:0.5b", o);
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.error.message.find("failed verification"), std::string::npos) << r2.error.message;
  EXPECT_EQ(store_files(), std::vector<std::string>{});
  // …and the next pull starts clean and succeeds.
  PullResult r3 = pull_model("qwen2.5:0.5b", o);
  ASSERT_TRUE(r3.ok()) << r3.error.message;
}

TEST_F(PullTest, MissingBlobAndConcurrentPullFailCleanly) {
  auto pub = server_.add_ollama_model("library", "qwen2.5", "0.5b", gguf_);
  server_.remove_blob(pub.model_hex);
  PullResult r = pull_model("qwen2.5:0.5b", options());
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(one_line(r.error.message)) << r.error.message;
  EXPECT_NE(r.error.message.find("HTTP 404"), std::string::npos) << r.error.message;
  EXPECT_EQ(store_files(), std::vector<std::string>{});  // not even an empty partial file

  // Another process downloading the same blob holds a lock on its partial file.
  auto pub2 = server_.add_ollama_model("library", "other", "latest", gguf_ + "x");
  fs::path partial = fs::path(paths_.owlet) / "blobs" / ("sha256-" + pub2.model_hex + "-partial");
  fs::create_directories(partial.parent_path());
  int fd = open(partial.c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(flock(fd, LOCK_EX), 0);
  r = pull_model("other", options());
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error.message.find("already downloading"), std::string::npos) << r.error.message;
  EXPECT_TRUE(fs::exists(partial));  // the other download's file is left alone
  close(fd);
  r = pull_model("other", options());
  EXPECT_TRUE(r.ok()) << r.error.message;
}

TEST_F(PullTest, FollowsTheRegistryTokenChallenge) {
  auto pub = server_.add_ollama_model("team", "private", "v1", gguf_);
  server_.require_token("s3cret");
  PullResult r = pull_model("team/private:v1", options());
  ASSERT_TRUE(r.ok()) << r.error.message;
  bool asked_for_token = false;
  for (const auto& req : server_.requests())
    if (req.path == "/token?owlet-test&repository:pull") asked_for_token = true;
  EXPECT_TRUE(asked_for_token);
  EXPECT_EQ(server_.bytes_sent(pub.model_hex), gguf_.size());
}

TEST_F(PullTest, PullsHuggingFaceFiles) {
  std::string hex = server_.add_hf_file("Qwen", "Qwen2.5-0.5B-Instruct-GGUF", "main", "qwen2.5-0.5b-instruct-q4_0.gguf",
                                        gguf_);
  const std::string ref = "hf://Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_0.gguf";
  PullResult r = pull_model(ref, options());
  ASSERT_TRUE(r.ok()) << r.error.message;
  EXPECT_EQ(r.digest, "sha256:" + hex);
  ModelStore store(paths_);
  owlet::Error serr;
  std::string path;
  ASSERT_TRUE(store.resolve(ref, &path, &serr)) << serr.message;
  EXPECT_EQ(path, r.path);
  owlet::Error err;
  auto model = owlet::llm::Model::load({path, 0, true}, &err);
  ASSERT_TRUE(model) << err;
  auto entries = store.list();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].name, ref);

  // A revision, a file in a subfolder, and no published sha256 (the digest is computed instead).
  std::string other = gguf_ + std::string(8, '\0');
  server_.add_hf_file("o", "r", "v1", "sub/m.gguf", other, false);
  PullResult r2 = pull_model("hf://o/r/sub/m.gguf@v1", options());
  ASSERT_TRUE(r2.ok()) << r2.error.message;
  ASSERT_TRUE(store.resolve("hf://o/r/sub/m.gguf@v1", &path, &serr)) << serr.message;
  EXPECT_EQ(read_file(path), other);
  EXPECT_EQ(store.list().size(), 2u);

  PullResult missing = pull_model("hf://o/r/nope.gguf", options());
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(one_line(missing.error.message)) << missing.error.message;
  EXPECT_NE(missing.error.message.find("404"), std::string::npos) << missing.error.message;

  std::vector<std::string> removed;
  ASSERT_TRUE(store.remove(ref, &removed, &serr)) << serr.message;
  EXPECT_FALSE(fs::exists(r.path));
}

TEST_F(PullTest, RegistryErrorsAreOneLine) {
  PullResult r = pull_model("nosuch:1b", options());
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(one_line(r.error.message)) << r.error.message;
  EXPECT_NE(r.error.message.find("not found in registry"), std::string::npos) << r.error.message;

  PullOptions o = options();
  o.insecure = false;
  r = pull_model("nosuch:1b", o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.message.find("--insecure"), std::string::npos) << r.error.message;

  r = pull_model("bad::name", options());
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(one_line(r.error.message)) << r.error.message;

  o = options();
  o.registry = "http://127.0.0.1:1";  // nothing listens there
  r = pull_model("qwen2.5:0.5b", o);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(one_line(r.error.message)) << r.error.message;
}

TEST_F(PullTest, CancelKeepsThePartialForResume) {
  auto pub = server_.add_ollama_model("library", "qwen2.5", "0.5b", gguf_);
  std::atomic<bool> cancel{false};
  PullOptions o = options();
  o.cancel = &cancel;
  o.progress = [&](uint64_t done, uint64_t, double) {
    if (done > 0) cancel = true;
  };
  // Slow enough that the transfer is still running when the cancel is seen: the
  // download checks the flag between reads.
  server_.throttle(4096, 20);
  PullResult r = pull_model("qwen2.5:0.5b", o);
  ASSERT_FALSE(r.ok()) << "the transfer finished before the cancel was seen";
  EXPECT_EQ(r.error.kind, owlet::ErrorKind::cancelled) << r.error.message;
  EXPECT_FALSE(fs::exists(fs::path(paths_.owlet) / "manifests/registry.ollama.ai/library/qwen2.5/0.5b"));
  server_.throttle(0, 0);
  PullResult again = pull_model("qwen2.5:0.5b", options());
  ASSERT_TRUE(again.ok()) << again.error.message;
}

// ---- the CLI, through the real binary ---------------------------------------------------

namespace {

ProcessResult run_owlet(const std::vector<std::string>& args, const TempDir& home, const StorePaths& p) {
  std::vector<std::string> argv = {OWLET_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessOptions o;
  o.env = {"HOME=" + home.path().string(), "XDG_DATA_HOME=", "XDG_CONFIG_HOME=", "OWLET_MODELS=" + p.owlet,
           "OLLAMA_MODELS=" + p.ollama, "HF_ENDPOINT=", "HF_TOKEN="};
  o.timeout = std::chrono::seconds(60);
  return run_process(argv, o);
}

}  // namespace

TEST_F(PullTest, CliPullListShowRm) {
  auto pub = server_.add_ollama_model("library", "qwen2.5", "0.5b", gguf_);
  server_.add_hf_file("o", "r", "main", "m.gguf", gguf_);
  // An Ollama store with a model of its own.
  write_file(fs::path(paths_.ollama) / "blobs" / ("sha256-" + pub.model_hex), gguf_);
  write_file(fs::path(paths_.ollama) / "manifests/registry.ollama.ai/library/theirs/7b", pub.manifest);

  ProcessResult r = run_owlet({"pull", "qwen2.5:0.5b", "--registry", server_.url(), "--insecure"}, tmp_, paths_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("pulling qwen2.5:0.5b:"), std::string::npos) << r.err;  // plain lines: stderr is no terminal
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("pulled qwen2.5:0.5b"), std::string::npos) << r.out;
  r = run_owlet({"pull", "hf://o/r/m.gguf", "--hf-endpoint", server_.url(), "--insecure", "-q"}, tmp_, paths_);
  ASSERT_EQ(r.exit_code, 0) << r.err;

  r = run_owlet({"models"}, tmp_, paths_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("qwen2.5:0.5b"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("hf://o/r/m.gguf"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("theirs:7b"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ollama"), std::string::npos) << r.out;
  EXPECT_EQ(count_lines(r.out), 4) << r.out;  // header + 3 models
  EXPECT_EQ(run_owlet({"models", "list"}, tmp_, paths_).out, r.out);

  r = run_owlet({"models", "show", "qwen2.5:0.5b"}, tmp_, paths_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("qwen2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("sha256:" + pub.model_hex), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("chat template  yes"), std::string::npos) << r.out;

  r = run_owlet({"models", "rm", "theirs:7b"}, tmp_, paths_);
  EXPECT_EQ(r.exit_code, 2);  // refused (forbidden): owlet never modifies Ollama's store
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("ollama rm"), std::string::npos) << r.err;

  r = run_owlet({"models", "rm", "qwen2.5:0.5b"}, tmp_, paths_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(fs::path(paths_.owlet) / "manifests/registry.ollama.ai/library/qwen2.5/0.5b"));
  EXPECT_FALSE(fs::exists(fs::path(paths_.owlet) / "blobs" / ("sha256-" + pub.config_hex)));
  EXPECT_TRUE(fs::exists(fs::path(paths_.owlet) / "blobs" / ("sha256-" + pub.model_hex)));  // the hf model shares it

  for (const auto& args : std::vector<std::vector<std::string>>{
           {"models", "show", "bad::name"}, {"models", "rm", "bad::name"}, {"pull", "bad::name"}}) {
    r = run_owlet(args, tmp_, paths_);
    EXPECT_EQ(r.exit_code, 2) << args[1];
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_EQ(r.err.rfind("owlet: ", 0), 0u) << r.err;
  }
  r = run_owlet({"models", "show", "never:pulled"}, tmp_, paths_);
  EXPECT_EQ(r.exit_code, 2);  // a model that is not there: bad input (README's exit codes)
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  r = run_owlet({"pull", "never:pulled", "--registry", server_.url(), "--insecure"}, tmp_, paths_);
  EXPECT_EQ(r.exit_code, 2);  // the registry has no such model
  EXPECT_NE(r.err.find("owlet: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not found in registry"), std::string::npos) << r.err;
  r = run_owlet({"pull", "qwen2.5:0.5b", "--registry", server_.url()}, tmp_, paths_);  // plain http without --insecure
  EXPECT_EQ(r.exit_code, 2);  // a usage matter: the flag says so
  EXPECT_NE(r.err.find("--insecure"), std::string::npos) << r.err;
}

// Newer registries serve manifest lists (one tag, runner-specific children): the
// llama.cpp child is pulled, its manifest kept as a blob the store reads back.
TEST_F(PullTest, PullsTheLlamaCppChildOfAManifestList) {
  auto child = server_.add_ollama_model_list("library", "listed", "1b", gguf_);
  PullResult r = pull_model("listed:1b", options());
  ASSERT_TRUE(r.ok()) << r.error.message;
  EXPECT_EQ(r.digest, "sha256:" + child.model_hex);
  ModelStore store(paths_);
  std::string path;
  owlet::Error e;
  ASSERT_TRUE(store.resolve("listed:1b", &path, &e)) << e.message;
  EXPECT_EQ(path, r.path);
  auto entries = store.list();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].name, "listed:1b");
  // Removing it leaves no blob behind, the child manifest included.
  std::vector<std::string> removed;
  ASSERT_TRUE(store.remove("listed:1b", &removed, &e)) << e.message;
  std::error_code ec;
  EXPECT_TRUE(fs::is_empty(fs::path(paths_.owlet) / "blobs", ec)) << store_files().size();
}

// A host in the name is not trusted the way an explicit --registry is: every
// connection passes the SSRF guard, so a loopback registry is refused before any
// request, unless the policy allows that address.
TEST_F(PullTest, NameHostsPassTheSsrfGuard) {
  server_.add_ollama_model("library", "qwen2.5", "0.5b", gguf_);
  const std::string name = server_.url().substr(7) + "/library/qwen2.5:0.5b";  // 127.0.0.1:<port>/…
  PullOptions o = options();
  o.registry.clear();
  PullResult r = pull_model(name, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.kind, owlet::ErrorKind::blocked_address) << r.error.message;
  EXPECT_TRUE(server_.requests().empty());
  o.ssrf.allow_cidrs = {"127.0.0.1"};
  PullResult allowed = pull_model(name, o);
  EXPECT_TRUE(allowed.ok()) << allowed.error.message;
}
