// `owlet doctor` through the real binary: a good setup passes with every check
// listed, a missing model or a bad key fails with a line saying what to fix, and
// provider probes are bounded in time whether the provider answers or not.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <set>
#include <sstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/test_support.h"

using namespace owlet::test;
using json = nlohmann::json;

namespace {

// A scratch HOME and stores, so the user's own config and models play no part.
struct DoctorEnv {
  TempDir home;
  std::vector<std::string> env() const {
    return {"HOME=" + home.path().string(), "XDG_CONFIG_HOME=" + (home.path() / ".config").string(),
            "XDG_DATA_HOME=" + (home.path() / "data").string(), "OWLET_MODELS=" + (home.path() / "models").string(),
            "OLLAMA_MODELS=" + (home.path() / "ollama").string(), "OWLET_CONFIG="};
  }
  std::string config(const std::string& extra) const {
    std::string p = (home.path() / "config.yml").string();
    write_file(p, "knowledge_path: " + (home.path() / "kb").string() + "\nport: " + std::to_string(free_port()) +
                      "\n" + extra);
    return p;
  }
  ProcessResult run(std::vector<std::string> args, std::chrono::milliseconds timeout = std::chrono::seconds(60)) const {
    args.insert(args.begin(), {OWLET_BINARY, "doctor"});
    ProcessOptions o;
    o.env = env();
    o.timeout = timeout;
    return run_process(args, o);
  }
};

// The line of check `name`, or "".
std::string line_of(const std::string& out, const std::string& name) {
  std::istringstream in(out);
  for (std::string l; std::getline(in, l);) {
    std::istringstream w(l);
    std::string status, n;
    w >> status >> n;
    if (n == name) return l;
  }
  return "";
}

TEST(DoctorCli, GoodConfigPassesAndListsEveryCheck) {
  DoctorEnv e;
  std::string model = fixture_model("qwen2-tiny");
  ASSERT_FALSE(model.empty());
  std::string cfg = e.config("model: " + model + "\n");
  ProcessResult r = e.run({"--config", cfg, "--no-network"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* check : {"config", "model", "knowledge_path", "model_store", "cpu", "gpu", "listen", "providers"})
    EXPECT_FALSE(line_of(r.out, check).empty()) << "no '" << check << "' line in:\n" << r.out;
  EXPECT_EQ(line_of(r.out, "model").rfind("ok", 0), 0u) << r.out;
  EXPECT_NE(line_of(r.out, "model").find("qwen2"), std::string::npos) << "the architecture is reported: " << r.out;
  EXPECT_EQ(line_of(r.out, "config").rfind("ok", 0), 0u) << r.out;
  EXPECT_EQ(line_of(r.out, "knowledge_path").rfind("ok", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("0 fail"), std::string::npos) << r.out;

  // The same checks as JSON.
  ProcessResult j = e.run({"--config", cfg, "--no-network", "--json"});
  EXPECT_EQ(j.exit_code, 0) << j.out << j.err;
  json doc = json::parse(j.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << j.out;
  EXPECT_EQ(doc["ok"], true);
  EXPECT_EQ(doc["fail"], 0);
  std::set<std::string> names;
  for (const auto& c : doc["checks"]) {
    names.insert(c["name"].get<std::string>());
    EXPECT_TRUE(c["status"] == "ok" || c["status"] == "warn" || c["status"] == "skip") << c.dump();
  }
  for (const char* check : {"config", "model", "knowledge_path", "cpu", "gpu"}) EXPECT_TRUE(names.count(check)) << check;
}

TEST(DoctorCli, MissingModelFailsWithAFix) {
  DoctorEnv e;
  std::string missing = (e.home.path() / "nowhere/model.gguf").string();
  ProcessResult r = e.run({"--config", e.config("model: " + missing + "\n"), "--no-network"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  std::string line = line_of(r.out, "model");
  EXPECT_EQ(line.rfind("fail", 0), 0u) << r.out;
  EXPECT_NE(line.find(missing), std::string::npos) << r.out;
  // The next line says what to change.
  size_t at = r.out.find(line);
  std::string next = r.out.substr(at + line.size() + 1, r.out.find('\n', at + line.size() + 1) - at - line.size() - 1);
  EXPECT_NE(next.find("fix:"), std::string::npos) << r.out;
  EXPECT_NE(next.find("model"), std::string::npos) << r.out;
}

TEST(DoctorCli, NotAGgufAndBadKeysFail) {
  DoctorEnv e;
  std::string fake = (e.home.path() / "fake.gguf").string();
  write_file(fake, "this is not a model");
  ProcessResult r = e.run({"--config", e.config("model: " + fake + "\n"), "--no-network"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(line_of(r.out, "model").find("not a GGUF"), std::string::npos) << r.out;

  ProcessResult bad = e.run({"--config", e.config("top_k: many\n"), "--no-network"});
  EXPECT_EQ(bad.exit_code, 1) << bad.out;
  std::string line = line_of(bad.out, "config");
  EXPECT_EQ(line.rfind("fail", 0), 0u) << bad.out;
  EXPECT_NE(line.find("top_k"), std::string::npos) << bad.out;

  ProcessResult prov = e.run({"--config", e.config("search_providers: duckduckgo,altavista\n"), "--no-network"});
  EXPECT_EQ(prov.exit_code, 1) << prov.out;
  EXPECT_NE(prov.out.find("altavista"), std::string::npos) << prov.out;
}

TEST(DoctorCli, ProviderProbesAreBoundedAndReportReachability) {
  // One provider answers (a loopback SearxNG stand-in), one port has nobody listening.
  httplib::Server srv;
  srv.Get("/", [](const httplib::Request&, httplib::Response& res) { res.set_content("searxng", "text/html"); });
  int port = srv.bind_to_any_port("127.0.0.1");
  std::thread t([&] { srv.listen_after_bind(); });
  int dead = free_port();
  DoctorEnv e;
  std::string cfg = e.config("search_providers: searxng,brave\nsearxng_url: http://127.0.0.1:" + std::to_string(port) +
                             "\nbrave_url: http://127.0.0.1:" + std::to_string(dead) + "\n");
  auto t0 = std::chrono::steady_clock::now();
  ProcessResult r = e.run({"--config", cfg, "--timeout-ms", "1500"});
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  srv.stop();
  t.join();
  EXPECT_EQ(r.exit_code, 0) << "an unreachable provider is a warning, not a failure: " << r.out << r.err;
  EXPECT_EQ(line_of(r.out, "provider.searxng").rfind("ok", 0), 0u) << r.out;
  EXPECT_EQ(line_of(r.out, "provider.brave").rfind("warn", 0), 0u) << r.out;
  EXPECT_LT(secs, 8.0) << "provider probes must stay bounded";
}

}  // namespace
