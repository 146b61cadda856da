// The Ollama-style CLI over the real binary: unknown commands with a
// suggestion, input checked before any pull, one exit code for bad input,
// OWLET_* typos warned about, and the model commands (list, show, rm, cp,
// create from a Modelfile) whose TEMPLATE, SYSTEM and PARAMETER lines `ask`
// then applies.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace fs = std::filesystem;
using json = nlohmann::json;
using owlet::test::count_lines;
using owlet::test::fixture_model;
using owlet::test::ProcessOptions;
using owlet::test::ProcessResult;
using owlet::test::run_process;
using owlet::test::TempDir;
using owlet::test::write_file;

namespace {

// Scratch HOME and stores; no web; a registry nobody listens on, so a pull
// that should not happen fails fast instead of reaching the internet.
ProcessOptions env_in(const TempDir& home, std::vector<std::string> extra = {}) {
  ProcessOptions o;
  const fs::path& h = home.path();
  o.env = {"HOME=" + h.string(),
           "XDG_CONFIG_HOME=" + (h / ".config").string(),
           "XDG_DATA_HOME=" + (h / "data").string(),
           "OWLET_MODELS=" + (h / "models").string(),
           "OLLAMA_MODELS=" + (h / "ollama").string(),
           "OWLET_KNOWLEDGE_PATH=" + (h / "kb").string(),
           "OWLET_CONFIG=",
           "OWLET_MODEL=",
           "OWLET_WEB=never",
           "OWLET_REGISTRY=http://127.0.0.1:9"};
  o.env.insert(o.env.end(), extra.begin(), extra.end());
  return o;
}

ProcessResult run_owlet(std::vector<std::string> args, const ProcessOptions& o) {
  args.insert(args.begin(), OWLET_BINARY);
  return run_process(args, o);
}

std::vector<std::string> ask_args(const std::string& model, std::vector<std::string> extra = {}) {
  std::vector<std::string> a = {"ask", "-m", model, "--threads", "2", "--ctx-size", "1024", "--seed", "1", "--no-cache"};
  a.insert(a.end(), extra.begin(), extra.end());
  a.push_back("Why do owls hoot?");
  return a;
}

json ask_json(const std::string& model, const ProcessOptions& o, std::vector<std::string> extra = {}) {
  extra.push_back("--json");
  ProcessResult r = run_owlet(ask_args(model, extra), o);
  EXPECT_EQ(r.exit_code, 0) << model << "\n" << r.err;
  json j = json::parse(r.out, nullptr, false);
  return j.is_object() ? j : json::object();
}

}  // namespace

TEST(ModelCli, UnknownCommandNamesTheNearest) {
  TempDir home;
  ProcessResult r = run_owlet({"askk", "hi"}, env_in(home));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "owlet: unknown command 'askk'; did you mean 'ask'?\n");
  ProcessResult sub = run_owlet({"models", "shwo", "x"}, env_in(home));
  EXPECT_EQ(sub.exit_code, 2);
  EXPECT_EQ(sub.err, "owlet: unknown models command 'shwo'; did you mean 'show'?\n");
  ProcessResult far = run_owlet({"zzzzzzzz"}, env_in(home));
  EXPECT_EQ(far.exit_code, 2);
  EXPECT_EQ(count_lines(far.err), 1) << far.err;
  EXPECT_NE(far.err.find("unknown command 'zzzzzzzz'"), std::string::npos) << far.err;
  EXPECT_EQ(far.err.find("did you mean"), std::string::npos) << far.err;
  // Every new top-level command is there.
  ProcessResult help = run_owlet({"--help"}, env_in(home));
  for (const char* c : {"run", "list", "ps", "show", "rm", "cp", "create"})
    EXPECT_NE(help.out.find(std::string("\n  ") + c + " "), std::string::npos) << c << "\n" << help.out;
}

TEST(ModelCli, BlankQuestionFailsBeforeAnyPull) {
  TempDir home;
  // No model configured, pulling on: a question of spaces must stop before the pull.
  ProcessResult r = run_owlet({"ask", "   "}, env_in(home, {"OWLET_AUTO_PULL=true"}));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("no question"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("pull"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(home / "models")) << "the model store was touched";
  ProcessOptions piped = env_in(home, {"OWLET_AUTO_PULL=true"});
  piped.stdin_data = " \n\t\n";
  ProcessResult p = run_owlet({"ask"}, piped);
  EXPECT_EQ(p.exit_code, 2) << p.err;
  EXPECT_FALSE(fs::exists(home / "models"));
}

TEST(ModelCli, MissingModelAndEmbeddingModelAreBothBadInput) {
  TempDir home;
  ProcessResult missing = run_owlet(ask_args((home / "nowhere.gguf").string()), env_in(home));
  ProcessResult unknown = run_owlet(ask_args("no-such-model:7b"), env_in(home));
  ProcessResult embed = run_owlet(ask_args(fixture_model("bert-tiny")), env_in(home));
  for (const ProcessResult* r : {&missing, &unknown, &embed}) {
    EXPECT_EQ(r->exit_code, 2) << r->err;
    EXPECT_EQ(count_lines(r->err), 1) << r->err;
  }
  EXPECT_NE(embed.err.find("embedding model"), std::string::npos) << embed.err;
}

TEST(ModelCli, UnknownOwletVariablesAreWarnedAbout) {
  TempDir home;
  ProcessResult r = run_owlet({"list"}, env_in(home, {"OWLET_TEMPRATURE=1", "OWLET_NOTHING_LIKE_IT=1"}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("owlet: warning: unknown environment variable OWLET_TEMPRATURE ignored; did you mean "
                       "OWLET_TEMPERATURE?\n"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("unknown environment variable OWLET_NOTHING_LIKE_IT ignored\n"), std::string::npos) << r.err;
  // Config keys, owlet's other variables and the tests' own are not warned about.
  ProcessResult ok = run_owlet({"list"}, env_in(home, {"OWLET_TOP_K=5", "OWLET_API_KEY=x", "OWLET_TEST_VERBOSE=1"}));
  EXPECT_EQ(ok.err.find("warning"), std::string::npos) << ok.err;
}

TEST(ModelCli, CreateShowCopyListRemove) {
  TempDir home;
  ProcessOptions o = env_in(home);
  const std::string gguf = fixture_model("qwen3-tiny");
  write_file(home / "Modelfile",
             "# an owl that answers briefly\n"
             "FROM " + gguf + "\n"
             "SYSTEM \"\"\"You are a terse owl.\nAnswer in one line.\"\"\"\n"
             "PARAMETER temperature 0.2\n"
             "PARAMETER num_predict 3\n"
             "PARAMETER stop \"<|endoftext|>\"\n"
             "LICENSE MIT\n");
  ProcessResult c = run_owlet({"create", "Owl-Helper", "-f", (home / "Modelfile").string()}, o);
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(c.out.find("created Owl-Helper:latest"), std::string::npos) << c.out;  // stored as written

  ProcessResult list = run_owlet({"list"}, o);
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_NE(list.out.find("Owl-Helper:latest"), std::string::npos) << list.out;

  ProcessResult show = run_owlet({"show", "owl-helper:latest"}, o);  // case and :latest as Ollama
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("capabilities   completion, tools, thinking"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("parameter      temperature 0.2"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("parameter      num_predict 3"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("system         You are a terse owl."), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("license        MIT"), std::string::npos) << show.out;
  ProcessResult models_show = run_owlet({"models", "show", "owl-helper"}, o);
  EXPECT_NE(models_show.out.find("capabilities   completion, tools, thinking"), std::string::npos) << models_show.out;
  ProcessResult sys = run_owlet({"show", "owl-helper", "--system"}, o);
  EXPECT_EQ(sys.out, "You are a terse owl.\nAnswer in one line.\n");
  ProcessResult params = run_owlet({"show", "owl-helper", "--parameters"}, o);
  EXPECT_NE(params.out.find("stop"), std::string::npos) << params.out;
  EXPECT_NE(params.out.find("\"<|endoftext|>\""), std::string::npos) << params.out;
  ProcessResult tmpl = run_owlet({"show", "owl-helper", "--template"}, o);
  EXPECT_NE(tmpl.out.find("<|im_start|>"), std::string::npos) << "the GGUF's own template: " << tmpl.out;
  ProcessResult mf = run_owlet({"show", "owl-helper", "--modelfile"}, o);
  EXPECT_NE(mf.out.find("PARAMETER num_predict 3"), std::string::npos) << mf.out;

  // An embedding model lists only "embedding".
  ProcessResult bert = run_owlet({"show", fixture_model("bert-tiny")}, o);
  EXPECT_NE(bert.out.find("capabilities   embedding\n"), std::string::npos) << bert.out;

  ProcessResult cp = run_owlet({"cp", "owl-helper", "owl-copy"}, o);
  ASSERT_EQ(cp.exit_code, 0) << cp.err;
  ProcessResult copy_sys = run_owlet({"show", "owl-copy", "--system"}, o);
  EXPECT_EQ(copy_sys.out, "You are a terse owl.\nAnswer in one line.\n");
  ProcessResult rm = run_owlet({"rm", "owl-copy"}, o);
  EXPECT_EQ(rm.exit_code, 0) << rm.err;
  ProcessResult after = run_owlet({"list"}, o);
  EXPECT_EQ(after.out.find("owl-copy"), std::string::npos) << after.out;
  EXPECT_NE(after.out.find("Owl-Helper"), std::string::npos) << after.out;
  ProcessResult rm_again = run_owlet({"rm", "owl-copy"}, o);
  EXPECT_EQ(rm_again.exit_code, 2) << rm_again.err;
  EXPECT_EQ(count_lines(rm_again.err), 1) << rm_again.err;
  ProcessResult cp_missing = run_owlet({"cp", "no-such", "x"}, o);
  EXPECT_EQ(cp_missing.exit_code, 2) << cp_missing.err;
}

TEST(ModelCli, BadModelfilesSayWhichLine) {
  TempDir home;
  ProcessOptions o = env_in(home);
  const std::string gguf = fixture_model("qwen2-tiny");
  struct Case {
    std::string text, expect;
  };
  const std::vector<Case> cases = {
      {"SYSTEM hi\n", "no FROM"},
      {"FROM " + gguf + "\nPARAMETER temprature 0.5\n", "line 2: unknown parameter 'temprature'"},
      {"FROM " + gguf + "\nPARAMETER top_k lots\n", "line 2: parameter top_k: expected an integer"},
      {"FROM " + gguf + "\nTEMPLATE \"\"\"{{ .System }} {{ .Prompt }}\"\"\"\n", "Go template"},
      {"FROM " + gguf + "\nADAPTER ./lora.gguf\n", "ADAPTER is not supported"},
      {"FROM " + (home / "missing.gguf").string() + "\n", "missing.gguf"},
      {"FROM no-such-model\n", "not found"},
  };
  for (const auto& c : cases) {
    write_file(home / "Modelfile", c.text);
    ProcessResult r = run_owlet({"create", "bad", "-f", (home / "Modelfile").string()}, o);
    EXPECT_EQ(r.exit_code, 2) << c.text << "\n" << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << c.text << "\n" << r.err;
  }
  ProcessResult no_file = run_owlet({"create", "bad", "-f", (home / "nope").string()}, o);
  EXPECT_EQ(no_file.exit_code, 2) << no_file.err;
  ProcessResult list = run_owlet({"list"}, o);
  EXPECT_EQ(list.out.find("bad"), std::string::npos) << list.out;
}

// What a created model carries is what `ask -m NAME` runs with: its
// num_predict, its SYSTEM (the prompt grows by it) and its TEMPLATE (a bare
// template makes a shorter prompt than ChatML); flags and --system still win.
TEST(ModelCli, AskAppliesTheModelfile) {
  TempDir home;
  ProcessOptions o = env_in(home);
  const std::string gguf = fixture_model("qwen2-tiny");
  write_file(home / "Plain", "FROM " + gguf + "\n");
  write_file(home / "Profiled", "FROM " + gguf +
                                    "\nSYSTEM You are an owl who lives in the old barn and answers every question "
                                    "about the night sky in great detail.\nPARAMETER num_predict 3\n");
  write_file(home / "Bare", "FROM plain\nTEMPLATE \"\"\"{% for m in messages %}{{ m['content'] }}\n{% endfor %}\"\"\"\n");
  for (const auto& [name, file] : std::vector<std::pair<std::string, std::string>>{
           {"plain", "Plain"}, {"profiled", "Profiled"}, {"bare", "Bare"}}) {
    ProcessResult c = run_owlet({"create", name, "-f", (home / file).string()}, o);
    ASSERT_EQ(c.exit_code, 0) << name << ": " << c.err;
  }
  const json plain = ask_json("plain", o, {"-n", "5"});
  const json profiled = ask_json("profiled", o);
  const json bare = ask_json("bare", o, {"-n", "5"});
  EXPECT_EQ(profiled["eval_count"], 3) << profiled.dump();  // PARAMETER num_predict
  EXPECT_EQ(plain["eval_count"], 5);
  const int base = plain["prompt_eval_count"].get<int>();
  EXPECT_GT(profiled["prompt_eval_count"].get<int>(), base + 15) << "SYSTEM not in the prompt";
  EXPECT_LT(bare["prompt_eval_count"].get<int>(), base) << "TEMPLATE not used";
  // Flags and --system beat the Modelfile.
  const json flagged = ask_json("profiled", o, {"-n", "2", "--system", "Be brief."});
  EXPECT_EQ(flagged["eval_count"], 2);
  EXPECT_LT(flagged["prompt_eval_count"].get<int>(), profiled["prompt_eval_count"].get<int>());
}
