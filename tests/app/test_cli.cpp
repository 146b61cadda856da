// Drives the real build/owlet binary: help, answering, errors, Ctrl-C, config.
#include <gtest/gtest.h>

#include <unistd.h>

#include <csignal>
#include <nlohmann/json.hpp>
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
  // --engine llm insists on a model; without one (and no pull) that is exit 3.
  // The first run, which pulls or falls back to extractive answers, is test_first_run.
  ProcessResult r = owlet_run({"ask", "--engine", "llm", "--no-pull", "What is owlet?"}, clean_env(home));
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
  // A file that is not there is bad input (2, as an embedding model is); one
  // that is there but will not load is a runtime error (1).
  for (const auto& [path, code] : std::vector<std::pair<std::string, int>>{{(d / "missing.gguf").string(), 2},
                                                                           {(d / "empty.gguf").string(), 1},
                                                                           {(d / "junk.gguf").string(), 1},
                                                                           {(d / "trunc.gguf").string(), 1},
                                                                           {d.path().string(), 1}}) {
    ProcessResult r = owlet_run(ask(path, "hi"), clean_env(home));
    EXPECT_EQ(r.exit_code, code) << path << "\n" << r.err;
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
  EXPECT_EQ(from_file.exit_code, 2);  // a model file that is not there
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

// A reasoning model's thinking never lands in stdout's answer when piped: it
// goes to stderr (or nowhere with --hide-thinking); --json has it apart; with
// --think=false the model does not think. DeepSeek-R1-Distill-Qwen's template
// opens <think>, so what a random-weight model writes is all thought.
TEST(Cli, ThinkingStaysOutOfThePipedAnswer) {
  TempDir home;
  const std::string r1 = fixture_model("r1-qwen-tiny");
  std::vector<std::string> common = {"-n", "12", "--seed", "3", "--no-cache", "-q"};
  auto run = [&](std::vector<std::string> extra) {
    extra.insert(extra.end(), common.begin(), common.end());
    // A direct task: the model alone, so no early prefill races the knowledge-base
    // lookup and every run samples from the same batches (random weights amplify
    // the last bit of a float).
    return owlet_run(ask(r1, "Write a haiku about owls.", extra), clean_env(home));
  };
  ProcessResult js = run({"--json"});
  ASSERT_EQ(js.exit_code, 0) << js.err;
  auto field = [](const std::string& out, const std::string& key) {
    nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
    return j.is_object() && j.contains(key) ? j[key].get<std::string>() : std::string("<missing>");
  };
  const std::string thought = field(js.out, "thinking");
  ASSERT_FALSE(thought.empty()) << js.out;
  ASSERT_NE(thought, "<missing>") << js.out;
  EXPECT_EQ(field(js.out, "answer"), "") << "cut off while thinking: no answer yet";

  // Piped: stdout has the answer only; the same thought went to stderr... unless
  // -q (quiet) silences stderr, in which case it is nowhere.
  ProcessResult quiet = run({});
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  // A piece of the thought that is no common word (random weights write odd tokens).
  const std::string head = thought.substr(0, std::min<size_t>(thought.size(), 12));
  EXPECT_EQ(quiet.out.find(head), std::string::npos) << quiet.out;
  EXPECT_EQ(quiet.err.find(head), std::string::npos) << quiet.err;
  common.pop_back();  // not quiet
  ProcessResult shown = run({});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(shown.out.find(head), std::string::npos) << shown.out;
  EXPECT_NE(shown.err.find(head), std::string::npos) << shown.err;
  ProcessResult hidden = run({"--hide-thinking"});
  EXPECT_EQ(hidden.err.find(head), std::string::npos) << hidden.err;

  // --think=false: no thought at all; what the model writes is the answer.
  ProcessResult off = run({"--think=false", "--json"});
  ASSERT_EQ(off.exit_code, 0) << off.err;
  EXPECT_EQ(field(off.out, "thinking"), "");
  EXPECT_NE(field(off.out, "answer"), "");
  ProcessResult bad = run({"--think=maybe"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_EQ(count_lines(bad.err), 1) << bad.err;

  // On a terminal (util-linux `script` gives it one) the thought is shown dimmed, before the answer.
  if (access("/usr/bin/script", X_OK) == 0) {
    std::string cmd = std::string(OWLET_BINARY) + " ask --model " + r1 +
                      " --threads 2 --ctx-size 1024 -n 12 --seed 3 --no-cache -q 'Write a haiku about owls.'";
    ProcessResult tty = run_process({"/usr/bin/script", "-q", "-c", cmd, "/dev/null"}, clean_env(home));
    ASSERT_EQ(tty.exit_code, 0) << tty.err;
    EXPECT_EQ(tty.out.rfind("\x1b[2m", 0), 0u) << tty.out;
    size_t end = tty.out.find("\x1b[0m");
    ASSERT_NE(end, std::string::npos) << tty.out;
    EXPECT_NE(tty.out.substr(0, end).find(head), std::string::npos) << tty.out;
  }
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
