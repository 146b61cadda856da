// `owlet run`, the interactive chat, over the real binary: on a terminal (a
// tmux pane) a typed question gets a streamed answer with its sources and
// /bye ends the session; with stdin piped, each line is a question, """
// blocks are one multi-line question, /commands work and the history is kept.
// Answers are grounded: the web is a SearxNG-shaped loopback server.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "support/test_support.h"
#include "web/logging_search.h"

namespace fs = std::filesystem;
using owlet::test::fixture_model;
using owlet::test::ProcessOptions;
using owlet::test::ProcessResult;
using owlet::test::run_process;
using owlet::test::TempDir;
using owlet::test::wait_until;
using owlet::web::test::LoggingSearchApi;

namespace {

std::vector<std::string> run_env(const TempDir& home, const LoggingSearchApi& search) {
  const fs::path& h = home.path();
  return {"HOME=" + h.string(), "XDG_CONFIG_HOME=" + (h / ".config").string(),
          "OWLET_MODELS=" + (h / "models").string(), "OLLAMA_MODELS=" + (h / "ollama").string(),
          "OWLET_CONFIG=", "OWLET_MODEL=", "OWLET_WEB=always",
          "OWLET_KNOWLEDGE_PATH=" + (h / "kb").string(), "OWLET_SEARCH_PROVIDERS=searxng",
          "OWLET_SEARXNG_URL=" + search.base_url(), "OWLET_ALLOW_PRIVATE=127.0.0.1",
          "OWLET_TOTAL_DEADLINE_MS=120000", "OWLET_SEARCH_DEADLINE_MS=60000", "OWLET_FETCH_DEADLINE_MS=60000"};
}

std::vector<std::string> run_args() {
  return {OWLET_BINARY, "run", fixture_model("qwen2-tiny"), "--threads", "2", "--ctx-size", "2048", "-n", "24",
          "--seed", "1"};
}

size_t count_of(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + what.size())) ++n;
  return n;
}

// A private tmux server for one test.
class Tmux {
 public:
  Tmux() : socket_("owlet-test-" + std::to_string(getpid())) {}
  ~Tmux() { tmux({"kill-server"}); }
  ProcessResult tmux(std::vector<std::string> args) const {
    args.insert(args.begin(), {"/usr/bin/tmux", "-L", socket_, "-f", "/dev/null"});
    return run_process(args);
  }
  std::string screen() const { return tmux({"capture-pane", "-p", "-J", "-S", "-200", "-t", "run"}).out; }
  void type(const std::string& keys) const {
    tmux({"send-keys", "-t", "run", "-l", keys});
    tmux({"send-keys", "-t", "run", "Enter"});
  }

 private:
  std::string socket_;
};

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

TEST(RunCli, TerminalChatStreamsAnAnswerWithSourcesThenBye) {
  if (access("/usr/bin/tmux", X_OK) != 0) GTEST_SKIP() << "tmux is not installed (scripts/setup.sh installs it)";
  TempDir home;
  LoggingSearchApi search("Oslo", "The current mayor of Oslo is Ingrid Fjell.",
                          "<p>The current mayor of Oslo is Ingrid Fjell.</p>");
  std::string cmd = "env";
  for (const auto& e : run_env(home, search)) cmd += " " + shell_quote(e);
  for (const auto& a : run_args()) cmd += " " + shell_quote(a);
  cmd += "; echo EXITED:$?; sleep 60";
  Tmux t;
  ProcessResult started = t.tmux({"new-session", "-d", "-s", "run", "-x", "160", "-y", "60", cmd});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  ASSERT_TRUE(wait_until([&] { return t.screen().find(">>> ") != std::string::npos; }, std::chrono::seconds(120)))
      << t.screen();
  EXPECT_NE(t.screen().find("Send a message (/? for help)"), std::string::npos) << t.screen();
  t.type("Who is the current mayor of Oslo?");
  // The answer, then its numbered sources, then the next prompt.
  ASSERT_TRUE(wait_until([&] { return count_of(t.screen(), ">>> ") >= 2; }, std::chrono::seconds(180))) << t.screen();
  const std::string s = t.screen();
  const size_t q = s.find("Who is the current mayor of Oslo?");
  const size_t sources = s.find("Sources:");
  ASSERT_NE(q, std::string::npos) << s;
  ASSERT_NE(sources, std::string::npos) << s;
  EXPECT_LT(q, sources);
  EXPECT_NE(s.find("[1] Oslo", sources), std::string::npos) << s;
  EXPECT_EQ(search.queries().size(), 1u);
  t.type("/bye");
  EXPECT_TRUE(wait_until([&] { return t.screen().find("EXITED:0") != std::string::npos; }, std::chrono::seconds(30)))
      << t.screen();
}

TEST(RunCli, PipedInputIsOneQuestionPerLineWithCommandsAndHistory) {
  TempDir home;
  LoggingSearchApi search("Oslo", "The current mayor of Oslo is Ingrid Fjell.",
                          "<p>The current mayor of Oslo is Ingrid Fjell.</p>");
  ProcessOptions o;
  o.timeout = std::chrono::seconds(300);
  o.env = run_env(home, search);
  o.stdin_data =
      "Who is the current mayor of Oslo?\n"
      "/set nothink\n"
      "\"\"\"When was the mayor\n"
      "of Oslo elected?\n"
      "\"\"\"\n"
      "/show\n"
      "/clear\n"
      "/show\n"
      "/nonsense\n"
      "/bye\n"
      "Never asked?\n";
  ProcessResult r = run_process(run_args(), o);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find(">>> "), std::string::npos) << "no prompts when stdin is not a terminal:\n" << r.out;
  EXPECT_EQ(count_of(r.out, "Sources:"), 2u) << r.out;
  EXPECT_NE(r.out.find("Set 'nothink' mode."), std::string::npos) << r.out;
  // The multi-line block was one question, asked as written.
  const auto queries = search.queries();
  ASSERT_EQ(queries.size(), 2u) << r.out;
  EXPECT_NE(queries[1].find("of Oslo elected?"), std::string::npos) << queries[1];
  // Two turns kept, then forgotten by /clear.
  const size_t kept = r.out.find("history       2 turns");
  const size_t cleared = r.out.find("history       0 turns");
  EXPECT_NE(kept, std::string::npos) << r.out;
  EXPECT_NE(cleared, std::string::npos) << r.out;
  EXPECT_LT(kept, cleared);
  EXPECT_NE(r.out.find("think         off"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Unknown command '/nonsense'. Type /? for help"), std::string::npos) << r.out;
  for (const auto& q : queries) EXPECT_EQ(q.find("Never asked"), std::string::npos) << "read past /bye";
}

TEST(RunCli, OneShotPromptAndBadInput) {
  TempDir home;
  LoggingSearchApi search("Oslo", "The current mayor of Oslo is Ingrid Fjell.",
                          "<p>The current mayor of Oslo is Ingrid Fjell.</p>");
  ProcessOptions o;
  o.timeout = std::chrono::seconds(300);
  o.env = run_env(home, search);
  auto args = run_args();
  args.push_back("Who is the current mayor of Oslo?");
  ProcessResult r = run_process(args, o);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Sources:"), std::string::npos) << r.out;
  auto blank = run_args();
  blank.push_back("  ");
  ProcessResult b = run_process(blank, o);
  EXPECT_EQ(b.exit_code, 2) << b.err;
  ProcessResult missing = run_process({OWLET_BINARY, "run", (home / "nowhere.gguf").string(), "hi"}, o);
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  EXPECT_EQ(owlet::test::count_lines(missing.err), 1) << missing.err;
}
