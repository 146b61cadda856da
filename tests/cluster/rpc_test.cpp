// llama.cpp's RPC backend through owlet: a ggml-rpc-server on 127.0.0.1 holds
// the layers of the Qwen2.5-0.5B-shaped fixture, and `owlet ask` with
// --rpc-servers gives the same greedy text as without.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>

#include "cluster_fixture.h"
#include "support/test_support.h"

using namespace owlet;
using namespace owlet::cluster::test;
namespace fs = std::filesystem;

namespace {

// The 0.5B-shaped fixture, generated once into the build tree. F16 (~1 GB):
// quantized weights may be repacked for host-only kernels (AMX, the CPU repack
// buffers) that a remote device never uses, so local and remote would not run
// the same arithmetic; F16 keeps the comparison like for like.
std::string big_fixture() {
  const fs::path p = fs::path(OWLET_FIXTURE_DIR) / "qwen2.5-0.5b-f16.gguf";
  if (fs::exists(p)) return p.string();
  fs::create_directories(p.parent_path());
  const fs::path tmp = p.string() + ".tmp.gguf";
  auto r = owlet::test::run_process({OWLET_MKMODEL, "--preset", "qwen2.5-0.5b", "--type", "f16", "--out", tmp.string()},
                                    {{}, {}, std::chrono::milliseconds(600000)});
  if (r.exit_code != 0) return "";
  fs::rename(tmp, p);
  return p.string();
}

owlet::test::ProcessResult ask(const std::string& model, const fs::path& home, const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {OWLET_BINARY, "ask", "-m", model, "--engine", "llm", "--web", "never",
                                   "--temperature", "0", "--seed", "1", "-n", "16", "--threads", "2",
                                   "--flash-attn", "off", "--no-cache", "-q",
                                   "--knowledge-path", (home / "kb").string(), "Tell me about owls at night."};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return owlet::test::run_process(argv, {{"HOME=" + home.string()}, {}, std::chrono::milliseconds(300000)});
}

}  // namespace

TEST(Rpc, ModelSplitOverLoopbackRpcGivesTheSameGreedyText) {
  const std::string server = std::string(OWLET_LLAMA_BIN) + "/ggml-rpc-server";
  if (!fs::exists(server)) GTEST_SKIP() << "no ggml-rpc-server in " << OWLET_LLAMA_BIN << " (scripts/setup.sh builds it)";
  const std::string model = big_fixture();
  ASSERT_FALSE(model.empty()) << "could not build the qwen2.5-0.5b fixture";
  owlet::test::TempDir dir;
  const int port = owlet::test::free_port();
  Child rpc;
  ASSERT_TRUE(rpc.spawn({server, "-H", "127.0.0.1", "-p", std::to_string(port), "-t", "2"}, {}, dir.path() / "rpc.log"));
  ASSERT_TRUE(wait_until([&] { return owlet::test::port_open(port); }, 10s)) << rpc.log();

  fs::create_directories(dir.path() / "local");
  fs::create_directories(dir.path() / "split");
  auto local = ask(model, dir.path() / "local", {});
  ASSERT_EQ(local.exit_code, 0) << local.err;
  auto split = ask(model, dir.path() / "split",
                   {"--rpc-servers", "127.0.0.1:" + std::to_string(port), "--log-level", "debug"});
  ASSERT_EQ(split.exit_code, 0) << split.err;
  ASSERT_FALSE(local.out.empty());
  EXPECT_EQ(split.out, local.out);
  // The layers really were on the server: llama.cpp reports the RPC device's buffers.
  EXPECT_NE(split.err.find("RPC0"), std::string::npos) << split.err.substr(0, 4000);
  EXPECT_NE(split.err.find("offloaded 25/25 layers"), std::string::npos) << split.err.substr(0, 4000);
}

TEST(Rpc, AnUnreachableServerIsAnErrorNotACrash) {
  owlet::test::TempDir dir;
  const std::string model = owlet::test::fixture_model("qwen2-tiny");
  ASSERT_FALSE(model.empty());
  const int port = owlet::test::free_port();  // nobody listens there
  auto r = owlet::test::run_process({OWLET_BINARY, "ask", "-m", model, "--engine", "llm", "--web", "never", "-n", "4",
                                     "--rpc-servers", "127.0.0.1:" + std::to_string(port), "--knowledge-path",
                                     (dir.path() / "kb").string(), "hello"},
                                    {{"HOME=" + dir.path().string()}, {}, std::chrono::milliseconds(60000)});
  EXPECT_EQ(r.exit_code, 1) << r.err;  // a runtime error, with its reason; not SIGABRT
  EXPECT_NE(r.err.find("does not answer"), std::string::npos) << r.err;
  auto bad = owlet::test::run_process({OWLET_BINARY, "ask", "-m", model, "--rpc-servers", "nohost", "hello"},
                                      {{"HOME=" + dir.path().string()}, {}, std::chrono::milliseconds(60000)});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("rpc_servers"), std::string::npos) << bad.err;
}
