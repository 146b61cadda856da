// The first run through the real binary, as a new user meets it: no model
// configured, a loopback registry serving the default model's name. `owlet ask`
// pulls it (plain progress lines when stderr is not a terminal) and answers with
// it; the next run does not pull again. With the registry down, or pulling off,
// it answers from the knowledge base's own sentences, exits 0 and says in one
// line how to get a model; only an explicit `--engine llm` keeps exit 3.
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/registry_server.h"
#include "support/serve_process.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using namespace owlet::test;
using json = nlohmann::json;

namespace {

const char* kDefaultModel = "qwen2.5:1.5b";  // config default_model

// A machine with nothing on it: scratch HOME, stores and knowledge base, no web.
struct FreshMachine {
  TempDir home;
  std::vector<std::string> env() const {
    const fs::path& h = home.path();
    return {"HOME=" + h.string(),
            "XDG_CONFIG_HOME=" + (h / ".config").string(),
            "XDG_DATA_HOME=" + (h / "data").string(),
            "OWLET_MODELS=" + (h / "models").string(),
            "OLLAMA_MODELS=" + (h / "ollama").string(),
            "OWLET_KNOWLEDGE_PATH=" + (h / "kb").string(),
            "OWLET_CONFIG=",
            "OWLET_MODEL=",
            "OWLET_WEB=never"};  // no network here: answers are grounded in the knowledge base
  }
  ProcessResult owlet(std::vector<std::string> args) const {
    args.insert(args.begin(), OWLET_BINARY);
    ProcessOptions o;
    o.env = env();
    return run_process(args, o);
  }
  ProcessResult ask(const std::string& registry, const std::string& question, std::vector<std::string> extra = {}) {
    std::vector<std::string> a = {"ask", "--registry", registry, "-t", "2", "-c", "1024", "-n", "8", "--seed", "1"};
    a.insert(a.end(), extra.begin(), extra.end());
    a.push_back(question);
    return owlet(a);
  }
  // Notes in the knowledge base, so an extractive answer has something to cite.
  void ingest_notes() {
    fs::path notes = home / "notes/owls.md";
    write_file(notes,
               "# Owls\n\nOwls hoot to mark their territory and to call their mates at night. "
               "A barn owl screeches rather than hoots.\n");
    ProcessResult r = owlet({"ingest", notes.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
};

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

int lines_containing(const std::string& s, const std::string& what) {
  int n = 0;
  for (const auto& l : lines_of(s)) n += l.find(what) != std::string::npos;
  return n;
}

size_t manifest_requests(const RegistryServer& reg) {
  size_t n = 0;
  for (const auto& r : reg.requests()) n += r.path.find("/manifests/") != std::string::npos;
  return n;
}

// The URL of a registry that is gone: its port no longer accepts connections.
std::string dead_registry() {
  RegistryServer gone;
  return gone.url();
}

}  // namespace

TEST(FirstRun, AskPullsTheDefaultModelThenAnswersAndPullsOnlyOnce) {
  FreshMachine m;
  RegistryServer reg;
  auto pub = reg.add_ollama_model("library", "qwen2.5", "1.5b", read_file(fixture_model("qwen2-tiny")));

  ProcessResult first = m.ask(reg.url(), "Why do owls hoot?");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  auto lines = lines_of(first.err);
  ASSERT_FALSE(lines.empty());
  // One line first saying what happens, then the pull's own lines, then the answer.
  EXPECT_EQ(lines[0].rfind("owlet: no model configured; pulling the default model " + std::string(kDefaultModel) +
                               " from " + reg.url(),
                           0),
            0u)
      << first.err;
  EXPECT_GE(lines_containing(first.err, "pulling " + std::string(kDefaultModel) + ": "), 1) << first.err;
  EXPECT_EQ(lines_containing(first.err, "(100%)"), 1) << first.err;
  // Not a terminal: plain lines, no bar redrawn with carriage returns or escape codes.
  EXPECT_EQ(first.err.find('\r'), std::string::npos);
  EXPECT_EQ(first.err.find('\033'), std::string::npos);
  // Answered by the model just pulled, and kept in the store.
  EXPECT_FALSE(first.out.empty());
  EXPECT_NE(first.err.find("(llm)"), std::string::npos) << first.err;
  EXPECT_NE(first.err.find("[" + std::string(kDefaultModel) + "] prompt"), std::string::npos) << first.err;
  EXPECT_NE(first.err.find("generated 8 tokens"), std::string::npos) << first.err;
  EXPECT_TRUE(fs::exists(m.home / ("models/blobs/sha256-" + pub.model_hex)));
  EXPECT_EQ(manifest_requests(reg), 1u);

  // The second run finds it in the store: no announcement, no request to the registry.
  ProcessResult second = m.ask(reg.url(), "What do barn owls do?");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.err.find("pulling"), std::string::npos) << second.err;
  EXPECT_NE(second.err.find("(llm)"), std::string::npos) << second.err;
  EXPECT_NE(second.err.find("[" + std::string(kDefaultModel) + "] prompt"), std::string::npos) << second.err;
  EXPECT_EQ(manifest_requests(reg), 1u);
}

TEST(FirstRun, RegistryDownAnswersExtractivelyAndSaysHowToGetAModel) {
  FreshMachine m;
  m.ingest_notes();
  ProcessResult r = m.ask(dead_registry(), "Why do owls hoot?");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The knowledge base's own sentence, cited.
  EXPECT_NE(r.out.find("mark their territory"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[1]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Sources:"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("(extractive)"), std::string::npos) << r.err;
  // One line says no model is loaded, why, and how to get one.
  ASSERT_EQ(lines_containing(r.err, "no model loaded"), 1) << r.err;
  for (const auto& l : lines_of(r.err))
    if (l.find("no model loaded") != std::string::npos) {
      EXPECT_NE(l.find("owlet pull " + std::string(kDefaultModel)), std::string::npos) << l;
      EXPECT_NE(l.find("--model"), std::string::npos) << l;
      EXPECT_NE(l.find("failed"), std::string::npos) << l;
    }
  EXPECT_FALSE(fs::exists(m.home / "models/manifests")) << "nothing half-pulled is listed";
}

TEST(FirstRun, NoPullAnswersWithoutTouchingTheRegistry) {
  FreshMachine m;
  m.ingest_notes();
  RegistryServer reg;
  reg.add_ollama_model("library", "qwen2.5", "1.5b", read_file(fixture_model("qwen2-tiny")));
  ProcessResult flag = m.ask(reg.url(), "Why do owls hoot?", {"--no-pull"});
  ASSERT_EQ(flag.exit_code, 0) << flag.err;
  EXPECT_NE(flag.out.find("[1]"), std::string::npos) << flag.out;
  EXPECT_EQ(lines_containing(flag.err, "no model loaded"), 1) << flag.err;
  EXPECT_NE(flag.err.find("pulling is off"), std::string::npos) << flag.err;
  // auto_pull: false does the same.
  ProcessResult key = m.ask(reg.url(), "Why do owls hoot?", {"--auto-pull", "false"});
  ASSERT_EQ(key.exit_code, 0) << key.err;
  EXPECT_EQ(lines_containing(key.err, "no model loaded"), 1) << key.err;
  EXPECT_TRUE(reg.requests().empty());
}

TEST(FirstRun, ExplicitLlmEngineWithoutAModelExitsThree) {
  FreshMachine m;
  ProcessResult r = m.ask(dead_registry(), "Why do owls hoot?", {"--engine", "llm"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(lines_containing(r.err, "no model to answer with"), 1) << r.err;
  EXPECT_NE(r.err.find("owlet pull " + std::string(kDefaultModel)), std::string::npos) << r.err;
  ProcessResult quiet = m.ask(dead_registry(), "Why do owls hoot?", {"--engine", "llm", "--no-pull"});
  EXPECT_EQ(quiet.exit_code, 3);
  EXPECT_EQ(count_lines(quiet.err), 1) << quiet.err;
}

TEST(FirstRun, ServePullsTheDefaultModelBeforeListeningAndServesIt) {
  FreshMachine m;
  RegistryServer reg;
  reg.add_ollama_model("library", "qwen2.5", "1.5b", read_file(fixture_model("qwen2-tiny")));
  ServeProcess serve({"--registry", reg.url(), "--threads", "2", "--parallel", "1", "--ctx-size", "1024"}, m.env());
  ASSERT_TRUE(serve.wait_listening()) << serve.stderr_text();
  std::string log = serve.stderr_text();
  EXPECT_EQ(lines_of(log)[0].rfind("owlet: no model configured; pulling the default model", 0), 0u) << log;
  httplib::Client c("127.0.0.1", serve.port());
  c.set_read_timeout(60, 0);
  auto tags = c.Get("/api/tags");
  ASSERT_TRUE(tags);
  json t = json::parse(tags->body);
  ASSERT_EQ(t["models"].size(), 1u) << tags->body;
  EXPECT_EQ(t["models"][0]["name"], kDefaultModel);
  // A request that names no model gets the default one.
  auto a = c.Post("/api/answer", R"({"question":"Why do owls hoot?","stream":false,"options":{"num_predict":4}})",
                  "application/json");
  ASSERT_TRUE(a);
  ASSERT_EQ(a->status, 200) << a->body;
  json body = json::parse(a->body);
  EXPECT_EQ(body["model"], kDefaultModel) << a->body;
  EXPECT_EQ(body["route"]["engine"], "llm") << a->body;
}
