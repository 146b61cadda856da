// Drives the real build/owlet binary: help, answering, errors, Ctrl-C, config.
#include <gtest/gtest.h>

#include <csignal>
#include <regex>

#include "support/test_support.h"

using owlet::test::count_lines;
using owlet::test::fixture_model;
using owlet::test::ProcessOptions;
using owlet::test::ProcessResult;
using owlet::test::run_process;
using owlet::test::TempDir;
using owlet::test::write_file;

namespace {

// A clean environment: no user config or OWLET_* variables leak in.
ProcessOptions clean_env(TempDir& home) {
  ProcessOptions o;
  // web never: these tests are about the engine path; the pipeline has its own tests on a loopback web.
  o.env = {"HOME=" + home.path().string(), "XDG_CONFIG_HOME=", "OWLET_MODEL=", "OWLET_CONFIG=", "OWLET_WEB=never"};
  return o;
}

ProcessResult owlet_run(std::vector<std::string> args, ProcessOptions opts) {
  args.insert(args.begin(), OWLET_BINARY);
  return run_process(args, opts);
}

std::vector<std::string> ask(const std::string& model, const std::string& q, std::vector<std::string> extra = {}) {
  std::vector<std::string> a = {"ask", "--model", model, "--threads", "2", "--ctx-size", "1024"};
  a.insert(a.end(), extra.begin(), extra.end());
  a.push_back(q);
  return a;
}

}  // namespace

TEST(Cli, HelpDescribesEveryFlag) {
  TempDir home;
  ProcessResult top = owlet_run({"--help"}, clean_env(home));
  EXPECT_EQ(top.exit_code, 0);
  EXPECT_NE(top.out.find("ask"), std::string::npos);
  ProcessResult r = owlet_run({"ask", "--help"}, clean_env(home));
  EXPECT_EQ(r.exit_code, 0);
  for (const char* flag : {"--model", "--temperature", "--top-k", "--top-p", "--seed", "--num-predict", "--ctx-size",
                           "--threads", "--config", "--batch-size", "--precision", "--system", "--quiet"}) {
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag << " missing from ask --help:\n" << r.out;
  }
  // Each flag line carries a description, not just a name.
  std::regex bare_flag(R"(\n\s+--[a-z-]+\s+(TEXT|INT|NUM|BOOL)?\s*\n)");
  EXPECT_FALSE(std::regex_search(r.out, bare_flag)) << r.out;
}

TEST(Cli, NoModelSaysWhatIsMissing) {
  TempDir home;
  ProcessResult r = owlet_run({"ask", "What is owlet?"}, clean_env(home));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("--model"), std::string::npos);
}

TEST(Cli, AnswersStreamingWithSummary) {
  TempDir home;
  ProcessResult r = owlet_run(ask(fixture_model("qwen2-tiny"), "Why do owls hoot?", {"-n", "16", "--seed", "3"}),
                              clean_env(home));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(r.out.empty());
  std::regex summary(R"(prompt \d+ tokens \([0-9.]+ tok/s\), generated 16 tokens in [0-9.]+ s \([0-9.]+ tok/s\))");
  EXPECT_TRUE(std::regex_search(r.err, summary)) << r.err;
}

TEST(Cli, SameSeedSameAnswer) {
  TempDir home;
  auto args = ask(fixture_model("llama-tiny"), "hello", {"-n", "12", "--seed", "99", "-q"});
  ProcessResult a = owlet_run(args, clean_env(home));
  ProcessResult b = owlet_run(args, clean_env(home));
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_TRUE(a.err.empty()) << a.err;  // --quiet
}

TEST(Cli, QuestionFromStdin) {
  TempDir home;
  ProcessOptions o = clean_env(home);
  o.stdin_data = "What is a GGUF file?\n";
  ProcessResult r = owlet_run({"ask", "--model", fixture_model("deepseek-tiny"), "-n", "4", "-q"}, o);
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(Cli, CtrlCStopsCleanly) {
  TempDir home;
  ProcessOptions o = clean_env(home);
  o.send_signal_when = [](const std::string& out) { return out.size() > 20; };
  o.signal_to_send = SIGINT;
  ProcessResult r = owlet_run(ask(fixture_model("qwen2-tiny"), "Count to a million.", {"-n", "100000"}), o);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 130) << r.err;
  EXPECT_NE(r.err.find("finish: cancelled"), std::string::npos) << r.err;
}

TEST(Cli, BadModelFilesGiveOneLineAndNonZeroExit) {
  TempDir home, d;
  write_file(d / "empty.gguf", "");
  write_file(d / "junk.gguf", std::string(4096, '\x55'));
  std::string good = owlet::test::read_file(fixture_model("qwen2-tiny"));
  write_file(d / "trunc.gguf", good.substr(0, good.size() / 3));
  for (std::string path : {(d / "missing.gguf").string(), (d / "empty.gguf").string(), (d / "junk.gguf").string(),
                           (d / "trunc.gguf").string(), d.path().string()}) {
    ProcessResult r = owlet_run(ask(path, "hi"), clean_env(home));
    EXPECT_EQ(r.exit_code, 1) << path << "\n" << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << path << "\n" << r.err;
    EXPECT_EQ(r.err.rfind("owlet: ", 0), 0u) << r.err;
    EXPECT_TRUE(r.out.empty());
  }
}

TEST(Cli, EmbeddingModelIsRefusedForChat) {
  TempDir home;
  ProcessResult r = owlet_run(ask(fixture_model("bert-tiny"), "hi"), clean_env(home));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("embedding model"), std::string::npos) << r.err;
}

TEST(Cli, BadFlagValueNamesFlag) {
  TempDir home;
  ProcessResult r = owlet_run(ask(fixture_model("qwen2-tiny"), "hi", {"--top-k", "many"}), clean_env(home));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("--top-k"), std::string::npos) << r.err;
  ProcessResult u = owlet_run({"ask", "--no-such-flag", "hi"}, clean_env(home));
  EXPECT_EQ(u.exit_code, 2);
  EXPECT_EQ(count_lines(u.err), 1) << u.err;
}

TEST(Cli, ConfigLayering) {
  TempDir home;
  // Default config file location under $HOME; env beats it; flags beat env.
  write_file(home / ".config/owlet/config.yml", "model: /nonexistent/from-config.gguf\nnum_predict: 5\n");
  ProcessResult from_file = owlet_run({"ask", "hi"}, clean_env(home));
  EXPECT_EQ(from_file.exit_code, 1);
  EXPECT_NE(from_file.err.find("from-config.gguf"), std::string::npos) << from_file.err;

  ProcessOptions o = clean_env(home);
  o.env.push_back("OWLET_MODEL=/nonexistent/from-env.gguf");
  ProcessResult from_env = owlet_run({"ask", "hi"}, o);
  EXPECT_NE(from_env.err.find("from-env.gguf"), std::string::npos) << from_env.err;

  ProcessResult from_flag = owlet_run({"ask", "--model", fixture_model("qwen2-tiny"), "--threads", "2", "hi"}, o);
  EXPECT_EQ(from_flag.exit_code, 0) << from_flag.err;
  EXPECT_NE(from_flag.err.find("generated 5 tokens"), std::string::npos) << from_flag.err;  // num_predict from file

  write_file(home / "bad.yml", "modle: x\n");
  ProcessResult bad = owlet_run({"ask", "--config", (home / "bad.yml").string(), "hi"}, clean_env(home));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("unknown key 'modle'"), std::string::npos) << bad.err;
  EXPECT_EQ(count_lines(bad.err), 1);
}

TEST(Cli, JsonCanIncludeTheContextTheModelSaw) {
  TempDir home, docs;
  write_file(docs / "owls.md", "# Owls\n\nThe barn owl hunts voles at night across open fields.\n");
  ProcessOptions o = clean_env(home);
  ProcessResult in = owlet_run({"ingest", docs.path().string()}, o);
  ASSERT_EQ(in.exit_code, 0) << in.err;
  const std::string q = "What does the barn owl hunt at night?";
  ProcessResult r = owlet_run(ask(fixture_model("qwen2-tiny"), q, {"-n", "4", "--json", "--include-context", "--no-cache"}), o);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"context\":\"<<<SOURCES"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("The barn owl hunts voles at night"), std::string::npos) << r.out;
  ProcessResult plain = owlet_run(ask(fixture_model("qwen2-tiny"), q, {"-n", "4", "--json", "--no-cache"}), o);
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.out.find("\"context\""), std::string::npos) << plain.out;
}
