// SIGKILL during `owlet pull`: the real binary is killed while a model blob is
// half downloaded. Nothing half-pulled may be visible (no manifest, not listed,
// not resolvable), and the next pull must resume from the partial file with a
// Range request and end with a verified, loadable model.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "support/registry_server.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using namespace owlet::test;

namespace {

TEST(PullCrash, SigkillMidDownloadLeavesNothingVisibleAndResumes) {
  const std::string model = fixture_model("llama-tiny");  // ~40 MB: long enough to kill mid-blob
  ASSERT_FALSE(model.empty());
  const std::string gguf = read_file(model);
  RegistryServer reg;
  auto pub = reg.add_ollama_model("library", "crashy", "1b", gguf);
  // Every transfer of the blob stops half way, so the pull is mid-blob (or retrying
  // with a partial file on disk) whenever the kill lands.
  reg.drop_after(pub.model_hex, gguf.size() / 2, 1000);

  TempDir tmp;
  const fs::path store = tmp.path() / "models";
  const fs::path partial = store / "blobs" / ("sha256-" + pub.model_hex + "-partial");
  const std::vector<std::string> env = {"HOME=" + tmp.path().string(), "XDG_DATA_HOME=", "XDG_CONFIG_HOME=",
                                        "OWLET_MODELS=" + store.string(),
                                        "OLLAMA_MODELS=" + (tmp.path() / "ollama").string()};
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    for (const auto& kv : env) putenv(const_cast<char*>(kv.c_str()));
    freopen("/dev/null", "w", stdout);
    freopen("/dev/null", "w", stderr);
    execl(OWLET_BINARY, OWLET_BINARY, "pull", "crashy:1b", "--registry", reg.url().c_str(), "--insecure",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  // Kill as soon as the partial blob holds some bytes.
  std::error_code ec;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  uintmax_t at_kill = 0;
  while (std::chrono::steady_clock::now() < until) {
    at_kill = fs::exists(partial, ec) ? fs::file_size(partial, ec) : 0;
    if (!ec && at_kill > 0) break;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "pull ended before it was killed (exit " << WEXITSTATUS(status) << ")";
  ASSERT_GT(at_kill, 0u) << "no partial blob appeared";
  RecordProperty("partial_bytes_at_kill", static_cast<int>(at_kill));

  // Nothing half-pulled is visible.
  EXPECT_FALSE(fs::exists(store / "manifests/registry.ollama.ai/library/crashy/1b"));
  EXPECT_FALSE(fs::exists(store / "blobs" / ("sha256-" + pub.model_hex))) << "an unverified blob took the final name";
  ProcessOptions po;
  po.env = env;
  ProcessResult ls = run_process({OWLET_BINARY, "models"}, po);
  EXPECT_EQ(ls.out.find("crashy"), std::string::npos) << ls.out;
  ProcessResult show = run_process({OWLET_BINARY, "models", "show", "crashy:1b"}, po);
  EXPECT_NE(show.exit_code, 0) << show.out;

  // The next pull resumes from the partial file and ends with a verified model.
  reg.drop_after(pub.model_hex, 0, 0);
  ProcessResult again = run_process({OWLET_BINARY, "pull", "crashy:1b", "--registry", reg.url(), "--insecure"}, po);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  bool ranged = false;
  for (const auto& r : reg.blob_requests(pub.model_hex)) ranged |= !r.range.empty() && r.range != "bytes=0-";
  EXPECT_TRUE(ranged) << "the second pull downloaded the blob from the start";
  EXPECT_FALSE(fs::exists(partial));
  ProcessResult shown = run_process({OWLET_BINARY, "models", "show", "crashy:1b"}, po);
  EXPECT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("sha256:" + pub.model_hex), std::string::npos) << shown.out;
}

}  // namespace
