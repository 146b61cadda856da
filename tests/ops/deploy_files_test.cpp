// The deployment files stay true to the code: every file the Dockerfile copies
// or runs exists (docker itself cannot run here), config.example.yml lists every
// config key with its real default and loads, and the systemd unit starts the
// binary with subcommands, flags and settings that exist.
#include <fnmatch.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "config/config.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using namespace owlet;

namespace {

const fs::path kRoot = OWLET_SOURCE_DIR;

std::vector<std::string> split_ws(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::string trim(std::string s) {
  while (!s.empty() && isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

// Dockerfile instructions with continuation lines joined and comments dropped.
std::vector<std::pair<std::string, std::string>> dockerfile_instructions(const fs::path& p) {
  std::ifstream f(p);
  std::vector<std::pair<std::string, std::string>> out;
  std::string line, cur;
  while (std::getline(f, line)) {
    std::string t = trim(line);
    if (cur.empty() && (t.empty() || t[0] == '#')) continue;
    if (!cur.empty() && !t.empty() && t[0] == '#') continue;  // comment inside a continuation
    if (!t.empty() && t.back() == '\\') {
      cur += t.substr(0, t.size() - 1) + " ";
      continue;
    }
    cur += t;
    size_t sp = cur.find(' ');
    std::string op = cur.substr(0, sp);
    for (auto& c : op) c = static_cast<char>(toupper(c));
    out.emplace_back(op, sp == std::string::npos ? "" : trim(cur.substr(sp + 1)));
    cur.clear();
  }
  return out;
}

std::vector<std::string> dockerignore_patterns() {
  std::ifstream f(kRoot / ".dockerignore");
  std::vector<std::string> out;
  for (std::string line; std::getline(f, line);) {
    line = trim(line);
    if (!line.empty() && line[0] != '#') out.push_back(line);
  }
  return out;
}

// True when .dockerignore keeps `rel` (or a folder above it) out of the build context.
bool ignored(const std::string& rel, const std::vector<std::string>& patterns) {
  std::string path = rel;
  while (!path.empty() && path.back() == '/') path.pop_back();
  for (fs::path p = path; !p.empty(); p = p.parent_path()) {
    for (const auto& pat : patterns) {
      std::string pt = pat.rfind("**/", 0) == 0 ? pat.substr(3) : pat;
      if (fnmatch(pat.c_str(), p.c_str(), 0) == 0 || fnmatch(pt.c_str(), p.filename().c_str(), 0) == 0) return true;
    }
    if (p == p.parent_path()) break;
  }
  return false;
}

TEST(Deploy, DockerfileCopiesAndRunsOnlyFilesThatExist) {
  auto ins = dockerfile_instructions(kRoot / "Dockerfile");
  ASSERT_FALSE(ins.empty());
  const auto ignore = dockerignore_patterns();
  std::set<std::string> stages;
  int copied = 0, scripts = 0, froms = 0;
  bool healthcheck = false, expose = false, volume = false, nonroot = false;
  std::regex script_re(R"((?:^|[\s;&|(])((?:scripts|deploy|tests)/[A-Za-z0-9_./-]+))");
  for (const auto& [op, args] : ins) {
    auto w = split_ws(args);
    if (op == "FROM") {
      ++froms;
      if (w.size() >= 3 && (w[1] == "AS" || w[1] == "as")) stages.insert(w[2]);
    } else if (op == "COPY" || op == "ADD") {
      bool from_stage = false;
      std::vector<std::string> paths;
      for (const auto& a : w) {
        if (a.rfind("--from=", 0) == 0) {
          from_stage = true;
          EXPECT_TRUE(stages.count(a.substr(7))) << "COPY from an undefined stage: " << args;
        } else if (a.rfind("--", 0) != 0) {
          paths.push_back(a);
        }
      }
      ASSERT_GE(paths.size(), 2u) << args;
      if (from_stage) continue;
      for (size_t i = 0; i + 1 < paths.size(); ++i) {
        EXPECT_TRUE(fs::exists(kRoot / paths[i])) << "Dockerfile copies a missing file: " << paths[i];
        EXPECT_FALSE(ignored(paths[i], ignore)) << ".dockerignore excludes what the Dockerfile copies: " << paths[i];
        ++copied;
      }
    } else if (op == "RUN") {
      for (std::sregex_iterator it(args.begin(), args.end(), script_re), end; it != end; ++it) {
        std::string p = (*it)[1];
        EXPECT_TRUE(fs::exists(kRoot / p)) << "Dockerfile runs a missing file: " << p;
        ++scripts;
      }
    } else if (op == "HEALTHCHECK") {
      healthcheck = args.find("/health") != std::string::npos;
    } else if (op == "EXPOSE") {
      Config d;
      expose = args.find(std::to_string(d.port)) != std::string::npos;
    } else if (op == "VOLUME") {
      volume = args.find("/data") != std::string::npos;
    } else if (op == "USER") {
      nonroot = args != "root" && args != "0";
    } else if (op == "ENV") {
      // OWLET_<KEY> variables must be config keys (or the few non-key variables owlet reads).
      std::regex env_re(R"(OWLET_([A-Z_]+)=)");
      for (std::sregex_iterator it(args.begin(), args.end(), env_re), end; it != end; ++it) {
        std::string key = (*it)[1];
        for (auto& c : key) c = static_cast<char>(tolower(c));
        bool known = key == "config" || key == "models" || key == "api_key";
        for (const auto& k : config_keys()) known |= k.name == key;
        EXPECT_TRUE(known) << "Dockerfile sets OWLET_" << (*it)[1] << ", which owlet does not read";
      }
    }
  }
  EXPECT_GE(froms, 2) << "multi-stage build expected";
  EXPECT_GE(copied, 5);
  EXPECT_GE(scripts, 1) << "the build stage must run scripts/setup.sh";
  EXPECT_TRUE(healthcheck) << "HEALTHCHECK on /health";
  EXPECT_TRUE(expose) << "EXPOSE the default port";
  EXPECT_TRUE(volume) << "VOLUME /data";
  EXPECT_TRUE(nonroot) << "runtime USER must not be root";
}

// key -> value text of the top-level `key: value` lines (quotes removed).
std::map<std::string, std::string> example_values(const fs::path& p) {
  std::ifstream f(p);
  std::map<std::string, std::string> out;
  std::regex kv(R"(^([a-z_][a-z0-9_]*):\s*(.*?)\s*$)");
  for (std::string line; std::getline(f, line);) {
    std::smatch m;
    if (!std::regex_match(line, m, kv)) continue;
    std::string v = m[2];
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) v = v.substr(1, v.size() - 2);
    EXPECT_FALSE(out.count(m[1])) << "key listed twice: " << m[1];
    out[m[1]] = v;
  }
  return out;
}

TEST(Deploy, ConfigExampleListsEveryKeyWithItsDefaultAndLoads) {
  const fs::path example = kRoot / "config.example.yml";
  auto values = example_values(example);
  int checked = 0;
  for (const auto& k : config_keys()) {
    auto it = values.find(k.name);
    if (it == values.end()) {
      ADD_FAILURE() << "config.example.yml does not document key '" << k.name << "' (default " << k.default_value
                    << "): " << k.help;
      continue;
    }
    EXPECT_EQ(it->second, k.default_value) << "config.example.yml: " << k.name << " is not its default";
    ++checked;
  }
  EXPECT_EQ(values.size(), config_keys().size()) << "config.example.yml has keys owlet does not know";
  RecordProperty("keys", checked);

  Config cfg;
  std::string err;
  ASSERT_TRUE(config_load_yaml(cfg, example.string(), &err)) << err;
  // Loading the example changes nothing: each key round-trips to the default.
  Config d;
  EXPECT_EQ(cfg.model, d.model);
  EXPECT_EQ(cfg.port, d.port);
  EXPECT_EQ(cfg.host, d.host);
  EXPECT_EQ(cfg.wikipedia_url, d.wikipedia_url);
  EXPECT_EQ(cfg.knowledge_cache_size, d.knowledge_cache_size);
  EXPECT_EQ(cfg.coverage_threshold, d.coverage_threshold);
  EXPECT_EQ(cfg.temperature, d.temperature);
  EXPECT_EQ(cfg.search_providers, d.search_providers);
}

// ExecStart*= command lines and the other settings of a unit file.
struct Unit {
  std::vector<std::string> exec;
  std::multimap<std::string, std::string> settings;
};

Unit read_unit(const fs::path& p) {
  std::ifstream f(p);
  Unit u;
  for (std::string line; std::getline(f, line);) {
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == '[') continue;
    size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string k = line.substr(0, eq), v = line.substr(eq + 1);
    u.settings.emplace(k, v);
    if (k.rfind("ExecStart", 0) == 0 || k == "ExecReload") u.exec.push_back(v);
  }
  return u;
}

TEST(Deploy, SystemdUnitRunsRealSubcommandsAndFlags) {
  Unit u = read_unit(kRoot / "deploy/owlet.service");
  ASSERT_FALSE(u.exec.empty());
  // The Dockerfile and the unit install the binary in one place.
  std::ifstream df(kRoot / "Dockerfile");
  std::string dockerfile((std::istreambuf_iterator<char>(df)), std::istreambuf_iterator<char>());
  for (const auto& cmd : u.exec) {
    auto w = split_ws(cmd[0] == '-' ? cmd.substr(1) : cmd);
    ASSERT_GE(w.size(), 2u) << cmd;
    EXPECT_EQ(w[0], "/usr/local/bin/owlet") << cmd;
    EXPECT_NE(dockerfile.find(w[0]), std::string::npos) << "Dockerfile installs owlet elsewhere than " << w[0];
    // The subcommand's own --help lists every flag the unit passes.
    test::ProcessResult help = test::run_process({OWLET_BINARY, w[1], "--help"});
    ASSERT_EQ(help.exit_code, 0) << "owlet " << w[1] << " is not a subcommand: " << help.err;
    for (size_t i = 2; i < w.size(); ++i) {
      if (w[i].rfind("--", 0) != 0) continue;
      std::string flag = w[i].substr(0, w[i].find('='));
      EXPECT_NE(help.out.find(flag), std::string::npos) << "owlet " << w[1] << " has no flag " << flag;
    }
  }
  auto get = [&](const std::string& k) {
    auto it = u.settings.find(k);
    return it == u.settings.end() ? std::string() : it->second;
  };
  EXPECT_EQ(get("NoNewPrivileges"), "yes");
  EXPECT_EQ(get("ProtectSystem"), "strict");
  // What owlet writes (knowledge base, model store, HOME) lies inside its one writable path.
  const std::string rw = get("ReadWritePaths");
  ASSERT_FALSE(rw.empty());
  if (get("DynamicUser") == "yes") {
    EXPECT_EQ("/var/lib/" + get("StateDirectory"), rw) << "StateDirectory must be the writable path";
  }
  auto range = u.settings.equal_range("Environment");
  int env_checked = 0;
  for (auto it = range.first; it != range.second; ++it) {
    std::string kv = it->second;
    size_t eq = kv.find('=');
    ASSERT_NE(eq, std::string::npos) << kv;
    std::string name = kv.substr(0, eq), value = kv.substr(eq + 1);
    if (name.rfind("OWLET_", 0) == 0) {
      std::string key = name.substr(6);
      for (auto& c : key) c = static_cast<char>(tolower(c));
      bool known = key == "config" || key == "models" || key == "api_key";
      for (const auto& k : config_keys()) known |= k.name == key;
      EXPECT_TRUE(known) << "the unit sets " << name << ", which owlet does not read";
    }
    if (name == "OWLET_KNOWLEDGE_PATH" || name == "OWLET_MODELS" || name == "HOME") {
      EXPECT_EQ(value.rfind(rw, 0), 0u) << name << "=" << value << " is outside ReadWritePaths=" << rw;
    }
    ++env_checked;
  }
  EXPECT_GE(env_checked, 3);
}

// Every metric the code registers is explained in docs/METRICS.md.
TEST(Deploy, MetricsDocListsEveryMetric) {
  std::ifstream df(kRoot / "docs/METRICS.md");
  std::string doc((std::istreambuf_iterator<char>(df)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(doc.empty());
  std::regex name_re(R"re("(owlet_[a-z0-9_]+)")re");
  std::set<std::string> names;
  for (const auto& e : fs::recursive_directory_iterator(kRoot / "src")) {
    if (e.path().extension() != ".cpp") continue;
    std::ifstream f(e.path());
    std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    // Only names handed to the metrics registry (inc/set/observe/gauge_fn) count.
    std::regex call_re(R"re(\b(?:inc|set|observe|gauge_fn)\(\s*"(owlet_[a-z0-9_]+)")re");
    for (std::sregex_iterator it(text.begin(), text.end(), call_re), end; it != end; ++it) names.insert((*it)[1]);
  }
  EXPECT_GE(names.size(), 10u) << "the metric scan found too little; did the registry calls change shape?";
  for (const auto& n : names) EXPECT_NE(doc.find("`" + n + "`"), std::string::npos) << "docs/METRICS.md does not explain " << n;
  RecordProperty("metrics", static_cast<int>(names.size()));
}

}  // namespace
