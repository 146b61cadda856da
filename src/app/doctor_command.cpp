#include "app/doctor_command.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "app/ask_command.h"
#include "app/cli_config.h"
#include "common/strings.h"
#include "config/config.h"
#include "llm/backend.h"
#include "models/model_store.h"
#ifdef OWLET_HAVE_WEB
#include "web/http_client.h"
#endif

extern char** environ;

namespace owlet::app {
namespace {

namespace fs = std::filesystem;

enum class Status { ok, warn, fail, skip };

const char* status_name(Status s) {
  switch (s) {
    case Status::ok: return "ok";
    case Status::warn: return "warn";
    case Status::fail: return "fail";
    case Status::skip: return "skip";
  }
  return "?";
}

struct Check {
  std::string name;    // "config", "model", "cpu"...
  Status status = Status::ok;
  std::string detail;  // what was found
  std::string fix;     // what to change (empty when ok)
};

struct DoctorArgs {
  FlagValues flags;
  bool json = false;
  bool no_network = false;
  int timeout_ms = 2500;
};

class Report {
 public:
  void add(std::string name, Status st, std::string detail, std::string fix = {}) {
    checks_.push_back({std::move(name), st, std::move(detail), std::move(fix)});
  }
  const std::vector<Check>& checks() const { return checks_; }
  int count(Status s) const {
    int n = 0;
    for (const auto& c : checks_) n += c.status == s;
    return n;
  }

 private:
  std::vector<Check> checks_;
};

// Bytes free for unprivileged writers on the filesystem holding `p`; -1 if unknown.
double free_bytes(const fs::path& p) {
  struct statvfs st {};
  if (statvfs(p.c_str(), &st) != 0) return -1;
  return static_cast<double>(st.f_bavail) * static_cast<double>(st.f_frsize);
}

double mem_total_bytes() {
  std::ifstream f("/proc/meminfo");
  std::string key;
  double kb = 0;
  while (f >> key >> kb) {
    if (key == "MemTotal:") return kb * 1024;
    f.ignore(256, '\n');
  }
  return -1;
}

// The closest existing directory at or above `p` (where a missing one would be created).
fs::path existing_ancestor(fs::path p) {
  std::error_code ec;
  p = fs::absolute(p, ec);
  while (!p.empty() && !fs::exists(p, ec)) {
    if (p == p.parent_path()) break;
    p = p.parent_path();
  }
  return p;
}

// A directory owlet must write into: exists and writable, or creatable.
// `label` names the setting to change in the fix.
void check_writable_dir(Report& r, const std::string& name, const std::string& dir, const std::string& label,
                        Status if_bad) {
  std::error_code ec;
  if (dir.empty()) {
    r.add(name, if_bad, "no directory configured", "set " + label);
    return;
  }
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) {
      r.add(name, if_bad, dir + " exists but is not a directory", "point " + label + " at a directory");
      return;
    }
    if (access(dir.c_str(), W_OK | X_OK) != 0) {
      r.add(name, if_bad, dir + " is not writable by this user (" + std::strerror(errno) + ")",
            "give this user write access (chown/chmod), or set " + label + " to a writable directory");
      return;
    }
    double fb = free_bytes(dir);
    if (fb >= 0 && fb < 1024.0 * 1024 * 1024) {
      r.add(name, Status::warn, dir + " writable, only " + human_bytes(fb, 1024) + " free",
            "free disk space or move " + label + " to a larger filesystem");
      return;
    }
    r.add(name, Status::ok, dir + " writable" + (fb >= 0 ? ", " + human_bytes(fb, 1024) + " free" : ""));
    return;
  }
  fs::path anc = existing_ancestor(dir);
  if (!anc.empty() && access(anc.c_str(), W_OK | X_OK) == 0) {
    r.add(name, Status::ok, dir + " does not exist yet; will be created (under " + anc.string() + ")");
  } else {
    r.add(name, if_bad, dir + " does not exist and " + anc.string() + " is not writable",
          "create " + dir + " for this user (mkdir -p; chown), or set " + label);
  }
}

// ------------------------------------------------------------------ config
bool check_config(Report& r, const DoctorArgs& args, Config* cfg) {
  std::string path, err;
  if (!config_default_path(args.flags.config_path, &path, &err)) {
    r.add("config", Status::fail, err, "pass --config with an existing file, or unset OWLET_CONFIG");
    return false;
  }
  if (!config_resolve(*cfg, args.flags.config_path, environ, args.flags.values, &err)) {
    r.add("config", Status::fail, err, "correct that key (see config.example.yml for every key and its default)");
    return false;
  }
  int env_keys = 0;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    if (kv.rfind("OWLET_", 0) != 0) continue;
    std::string key = ascii_lower(kv.substr(6, kv.find('=') - 6));
    for (const auto& k : config_keys())
      if (k.name == key && kv.size() > kv.find('=') + 1) ++env_keys;
  }
  std::string detail = (path.empty() ? std::string("defaults (no config file)") : path) + ", " +
                       std::to_string(env_keys) + " OWLET_* variable(s), " + std::to_string(args.flags.values.size()) +
                       " flag(s)";
  r.add("config", Status::ok, detail);

  // Settings that parse but cannot work together.
  static const char* kProviders[] = {"searxng", "brave", "ollama", "wikipedia", "duckduckgo"};
  for (const auto& p : config_split_list(cfg->search_providers)) {
    bool known = false;
    for (const char* k : kProviders) known |= p == k;
    if (!known)
      r.add("config.search_providers", Status::fail, "unknown provider '" + p + "'",
            "use any of searxng, brave, ollama, wikipedia, duckduckgo");
  }
  if (cfg->total_deadline_ms < cfg->search_deadline_ms)
    r.add("config.deadlines", Status::warn,
          "total_deadline_ms " + std::to_string(cfg->total_deadline_ms) + " < search_deadline_ms " +
              std::to_string(cfg->search_deadline_ms) + ": searches are cut short",
          "raise total_deadline_ms to at least search_deadline_ms");
  return true;
}

// ------------------------------------------------------------------ model
void check_model_ref(Report& r, const std::string& name, const std::string& ref, const std::string& key,
                     bool required_for_chat) {
  if (ref.empty()) {
    r.add(name, Status::skip, key + " not set");
    return;
  }
  std::string path;
  Error err;
  if (!models::resolve_model(ref, &path, &err)) {
    r.add(name, Status::fail, err.message,
          "run `owlet pull " + ref + "`, or set " + key + " to an existing GGUF file (`owlet models` lists what is here)");
    return;
  }
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    r.add(name, Status::fail, path + " does not exist",
          "set " + key + " to an existing GGUF file, an Ollama name (`owlet pull NAME`) or hf://owner/repo/file.gguf");
    return;
  }
  std::ifstream f(path, std::ios::binary);
  char magic[4] = {};
  if (!f || !f.read(magic, 4)) {
    r.add(name, Status::fail, path + " is not readable by this user",
          "give this user read access to " + path + " (and its directory)");
    return;
  }
  if (std::memcmp(magic, "GGUF", 4) != 0) {
    r.add(name, Status::fail, path + " is not a GGUF file (wrong magic bytes)",
          "point " + key + " at a .gguf model (convert others with llama.cpp's convert_hf_to_gguf.py)");
    return;
  }
  models::GgufSummary g;
  if (!models::read_gguf_summary(path, &g, &err)) {
    r.add(name, Status::fail, err.message, "the file is truncated or damaged: pull or download it again");
    return;
  }
  double size = static_cast<double>(fs::file_size(path, ec));
  std::string detail = path + " (" + (g.architecture.empty() ? "?" : g.architecture) + ", " +
                       (g.quantization.empty() ? "?" : g.quantization) + ", " + human_bytes(size, 1024) + ")";
  double mem = mem_total_bytes();
  if (mem > 0 && size > 0.8 * mem) {
    r.add(name, Status::warn, detail + " is over 80 % of this machine's " + human_bytes(mem, 1024) + " of RAM",
          "use a smaller quantization (Q4_0/Q4_K_M) or offload layers to a GPU (num_gpu)");
    return;
  }
  if (required_for_chat && !g.has_chat_template) {
    r.add(name, Status::warn, detail + " has no chat template; a generic one is used",
          "use an instruct/chat build of the model");
    return;
  }
  r.add(name, Status::ok, detail);
}

// ------------------------------------------------------------------ default model
// With no `model`, ask and serve use default_model: here already, or pulled on
// first use (auto_pull), or not at all (answers then come from the sources'
// own sentences).
void check_default_model(Report& r, const Config& cfg) {
  const std::string& name = cfg.default_model;
  if (!cfg.model.empty()) {
    r.add("default_model", Status::skip, name.empty() ? "not set" : name + ": not used, `model` is set");
    return;
  }
  if (name.empty()) {
    r.add("default_model", Status::warn, "neither model nor default_model is set: answers are extractive (no model)",
          "set model: to a GGUF path or an Ollama name, or default_model: (e.g. qwen2.5:1.5b)");
    return;
  }
  std::string path;
  Error err;
  if (models::resolve_model(name, &path, &err)) {
    check_model_ref(r, "default_model", name, "default_model", true);
    return;
  }
  if (cfg.auto_pull)
    r.add("default_model", Status::warn,
          name + " is not pulled yet: the first `owlet ask` or `owlet serve` pulls it from " +
              (cfg.registry.empty() ? std::string("the Ollama registry") : cfg.registry) +
              " (offline, answers are extractive until then)",
          "run `owlet pull " + name + "` now, or let the first `owlet ask` do it");
  else
    r.add("default_model", Status::warn, name + " is not here and auto_pull is off: answers are extractive (no model)",
          "run `owlet pull " + name + "`, set auto_pull: true, or set model:");
}

// ------------------------------------------------------------------ stores
void check_stores(Report& r, const Config& cfg) {
  check_writable_dir(r, "knowledge_path", config_knowledge_path(cfg), "knowledge_path (OWLET_KNOWLEDGE_PATH)",
                     Status::fail);
  models::StorePaths sp = models::default_store_paths();
  // Pull writes here; serving models by path works without it, so only a warning.
  check_writable_dir(r, "model_store", sp.owlet, "OWLET_MODELS", Status::warn);
  std::error_code ec;
  if (fs::is_directory(sp.ollama, ec)) {
    std::vector<std::string> warnings;
    size_t n = 0;
    for (const auto& e : models::ModelStore().list(&warnings)) n += e.store == "ollama";
    r.add("ollama_store", warnings.empty() ? Status::ok : Status::warn,
          sp.ollama + ": " + std::to_string(n) + " model(s) readable in place" +
              (warnings.empty() ? "" : "; " + warnings.front()),
          warnings.empty() ? "" : "fix or remove the manifest named above");
  } else {
    r.add("ollama_store", Status::skip, "no Ollama store at " + sp.ollama + " (set OLLAMA_MODELS to use one)");
  }
}

// ------------------------------------------------------------------ CPU and GPU
struct Feature {
  const char* ggml;  // name in llama_print_system_info()
  const char* cpu;   // __builtin_cpu_supports name
  bool have;
};

void check_cpu(Report& r) {
  __builtin_cpu_init();
  std::vector<Feature> feats = {
      {"AVX", "avx", static_cast<bool>(__builtin_cpu_supports("avx"))},
      {"AVX2", "avx2", static_cast<bool>(__builtin_cpu_supports("avx2"))},
      {"FMA", "fma", static_cast<bool>(__builtin_cpu_supports("fma"))},
      {"F16C", "f16c", static_cast<bool>(__builtin_cpu_supports("f16c"))},
      {"AVX512", "avx512f", static_cast<bool>(__builtin_cpu_supports("avx512f"))},
      {"AVX512_VNNI", "avx512vnni", static_cast<bool>(__builtin_cpu_supports("avx512vnni"))},
  };
  // "CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | ... |": what ggml's CPU backend was compiled to use.
  std::string info = llm::system_info();
  auto built_with = [&](const std::string& f) { return info.find(" " + f + " = 1") != std::string::npos; };
  std::string have, built, missing;
  for (const auto& f : feats) {
    if (f.have) have += std::string(have.empty() ? "" : " ") + f.cpu;
    if (built_with(f.ggml)) built += std::string(built.empty() ? "" : " ") + f.ggml;
    if (built_with(f.ggml) && !f.have) missing += std::string(missing.empty() ? "" : " ") + f.ggml;
  }
  unsigned threads = std::thread::hardware_concurrency();
  std::string detail = std::to_string(threads) + " threads; CPU has: " + (have.empty() ? "none" : have) +
                       "; ggml built with: " + (built.empty() ? "none of these" : built);
  if (!missing.empty()) {
    r.add("cpu", Status::fail, detail + "; this CPU lacks " + missing + " (illegal-instruction crash ahead)",
          "rebuild on this host (scripts/setup.sh uses GGML_NATIVE) or build portable with "
          "OWLET_GGML_FLAGS=-DGGML_NATIVE=OFF");
  } else if (!feats[1].have) {
    r.add("cpu", Status::warn, detail, "this CPU has no AVX2: expect slow generation; use a small Q4 model");
  } else if (feats[4].have && !built_with("AVX512")) {
    r.add("cpu", Status::warn, detail + "; AVX-512 unused",
          "rebuild llama.cpp on this host (scripts/setup.sh, GGML_NATIVE=ON) to use AVX-512");
  } else {
    r.add("cpu", Status::ok, detail);
  }
}

void check_gpu(Report& r, const Config& cfg) {
  std::string gpus;
  bool any_gpu = false;
  std::string mem_warning;
  for (const auto& g : llm::accelerator_memory()) {
    any_gpu = true;
    const double used = g.total_bytes > 0 ? 1.0 - static_cast<double>(g.free_bytes) / static_cast<double>(g.total_bytes) : 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s%s (%s, %s, %.0f %% in use)", gpus.empty() ? "" : "; ", g.name.c_str(),
             g.description.c_str(), human_bytes(static_cast<double>(g.total_bytes), 1024).c_str(), used * 100);
    gpus += buf;
    if (used > 0.8) mem_warning = g.name;
  }
  if (any_gpu) {
    if (!mem_warning.empty())
      r.add("gpu", Status::warn, gpus, std::string(mem_warning) + " is over the 80 % memory target before owlet "
                                       "loads anything: free it or lower num_gpu / ctx_size / parallel");
    else if (cfg.num_gpu == 0)
      r.add("gpu", Status::warn, gpus + "; num_gpu is 0, so nothing is offloaded",
            "set num_gpu: -1 (all layers) or a layer count");
    else
      r.add("gpu", Status::ok, gpus);
    return;
  }
  if (cfg.num_gpu > 0)
    r.add("gpu", Status::warn,
          "num_gpu is " + std::to_string(cfg.num_gpu) + " but this build has no GPU backend (CPU only)",
          "build with OWLET_GPU=cuda (or vulkan, hip) in scripts/setup.sh / --build-arg GPU=cuda, or set num_gpu: -1");
  else
    r.add("gpu", Status::ok, "none (CPU build; OWLET_GPU=cuda|vulkan|hip in scripts/setup.sh adds one)");
}

// ------------------------------------------------------------------ serving
void check_port(Report& r, const Config& cfg) {
  int fd = socket(cfg.host.find(':') != std::string::npos ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  int rc = -1;
  int bind_errno = 0;
  if (cfg.host.find(':') != std::string::npos) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(static_cast<uint16_t>(cfg.port));
    if (inet_pton(AF_INET6, cfg.host.c_str(), &a.sin6_addr) == 1) rc = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    else bind_errno = EADDRNOTAVAIL;
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(cfg.port));
    std::string host = cfg.host == "localhost" ? "127.0.0.1" : cfg.host;
    if (inet_pton(AF_INET, host.c_str(), &a.sin_addr) == 1) rc = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    else bind_errno = EADDRNOTAVAIL;
  }
  if (rc != 0 && bind_errno == 0) bind_errno = errno;
  close(fd);
  std::string where = cfg.host + ":" + std::to_string(cfg.port);
  if (rc == 0)
    r.add("listen", Status::ok, where + " is free");
  else if (bind_errno == EADDRINUSE)
    r.add("listen", Status::warn, where + " is in use (an owlet or Ollama already running?)",
          "stop the other server or set port (OWLET_PORT)");
  else
    r.add("listen", Status::fail, "cannot bind " + where + ": " + std::strerror(bind_errno),
          "set host to an address of this machine (127.0.0.1, 0.0.0.0) and port to a free one above 1023");
  const bool local = cfg.host == "127.0.0.1" || cfg.host == "localhost" || cfg.host == "::1";
  const char* key = getenv("OWLET_API_KEY");
  if (!local && (!key || !*key))
    r.add("api_key", Status::warn, "serving on " + cfg.host + " without an API key: anyone who reaches it can use it",
          "set OWLET_API_KEY (or --api-key), or put an authenticating reverse proxy in front");
}

// ------------------------------------------------------------------ providers
void check_providers(Report& r, const Config& cfg, const DoctorArgs& args) {
  const auto names = config_split_list(cfg.search_providers);
  if (cfg.web == "never") {
    r.add("providers", Status::skip, "web: never (answers use the local knowledge base only)");
    return;
  }
  if (names.empty()) {
    r.add("providers", Status::warn, "no search providers configured", "set search_providers (e.g. duckduckgo,wikipedia)");
    return;
  }
  if (args.no_network) {
    r.add("providers", Status::skip, "--no-network: " + cfg.search_providers + " not contacted");
    return;
  }
#ifdef OWLET_HAVE_WEB
  struct Target {
    std::string name, url, key_missing;
  };
  std::vector<Target> targets;
  for (const auto& n : names) {
    Target t{n, "", ""};
    if (n == "searxng") t.url = cfg.searxng_url;
    else if (n == "brave") {
      t.url = cfg.brave_url;
      if (cfg.brave_api_key.empty()) t.key_missing = "brave_api_key (OWLET_BRAVE_API_KEY)";
    } else if (n == "ollama") {
      t.url = cfg.ollama_search_url;
      if (cfg.ollama_api_key.empty()) t.key_missing = "ollama_api_key (OWLET_OLLAMA_API_KEY)";
    } else if (n == "wikipedia") {
      t.url = cfg.wikipedia_url;
      if (auto p = t.url.find("{lang}"); p != std::string::npos) t.url.replace(p, 6, "en");
    } else if (n == "duckduckgo") t.url = cfg.duckduckgo_url;
    else continue;  // reported by the config check
    if (!t.url.empty() && t.url.back() != '/') t.url += '/';
    targets.push_back(t);
  }
  // Provider URLs come from the operator's config, so they may be private (a SearxNG
  // on localhost): allow exactly those hosts, and what allow_private lists.
  web::ClientOptions co;
  co.request_timeout = std::chrono::milliseconds(args.timeout_ms);
  co.connect_timeout = std::chrono::milliseconds(std::min(args.timeout_ms, 2000));
  co.max_body_bytes = 1 << 20;
  if (!cfg.user_agent.empty()) co.user_agent = cfg.user_agent;
  for (const auto& a : config_split_list(cfg.allow_private)) co.ssrf.allow_cidrs.push_back(a);
  std::vector<web::HttpRequest> reqs;
  for (const auto& t : targets) {
    std::string host = t.url.substr(t.url.find("://") == std::string::npos ? 0 : t.url.find("://") + 3);
    host = host.substr(0, host.find_first_of("/:"));
    co.ssrf.allow_hosts.push_back(host);  // IP literals too: the allow list is checked before the address
    web::HttpRequest q;
    q.url = t.url;
    reqs.push_back(q);
  }
  web::HttpClient client(co);
  auto res = client.fetch_all(reqs, std::chrono::milliseconds(args.timeout_ms));
  int unreachable = 0;
  for (size_t i = 0; i < targets.size(); ++i) {
    const auto& t = targets[i];
    const auto& h = res[i];
    std::string name = "provider." + t.name;
    char ms[32];
    snprintf(ms, sizeof ms, "%.0f ms", h.elapsed_ms);
    if (!h.error.ok()) {
      ++unreachable;
      r.add(name, Status::warn,
            t.url + " unreachable: " + web::error_kind_name(h.error.kind) + ": " + h.error.message,
            "check the URL and this machine's network/proxy (HTTPS_PROXY); meanwhile answers fall back to the "
            "local knowledge base");
    } else if (!t.key_missing.empty()) {
      r.add(name, Status::warn, t.url + " reachable (HTTP " + std::to_string(h.status) + ", " + ms + ") but no key",
            "set " + t.key_missing);
    } else {
      r.add(name, Status::ok, t.url + " reachable (HTTP " + std::to_string(h.status) + ", " + h.http_version + ", " +
                                  ms + ")");
    }
  }
  if (unreachable == static_cast<int>(targets.size()))
    r.add("providers", Status::warn, "no search provider answered: this machine looks offline",
          "owlet still answers from its knowledge base; set web: never to stop trying");
#else
  r.add("providers", Status::skip, "this build has no web module");
#endif
}

// ------------------------------------------------------------------ output
void print_text(const Report& r) {
  for (const auto& c : r.checks()) {
    printf("%-4s  %-22s %s\n", status_name(c.status), c.name.c_str(), c.detail.c_str());
    if (!c.fix.empty() && c.status != Status::ok) printf("      %-22s fix: %s\n", "", c.fix.c_str());
  }
  printf("\n%d ok, %d warn, %d fail, %d skipped\n", r.count(Status::ok), r.count(Status::warn), r.count(Status::fail),
         r.count(Status::skip));
}

void print_json(const Report& r) {
  nlohmann::json checks = nlohmann::json::array();
  for (const auto& c : r.checks()) {
    nlohmann::json j = {{"name", c.name}, {"status", status_name(c.status)}, {"detail", c.detail}};
    if (!c.fix.empty()) j["fix"] = c.fix;
    checks.push_back(j);
  }
  nlohmann::json out = {{"ok", r.count(Status::fail) == 0},
                        {"fail", r.count(Status::fail)},
                        {"warn", r.count(Status::warn)},
                        {"checks", checks}};
  printf("%s\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

int run_doctor(const DoctorArgs& args) {
  Report r;
  Config cfg;
  const bool config_ok = check_config(r, args, &cfg);
  llm::backend_init();
  if (config_ok) {
    if (cfg.model.empty()) r.add("model", Status::skip, "not set: default_model is used");
    else check_model_ref(r, "model", cfg.model, "model", true);
    check_default_model(r, cfg);
    check_model_ref(r, "draft_model", cfg.draft_model, "draft_model", false);
    check_model_ref(r, "embedding_model", cfg.embedding_model, "embedding_model", false);
    check_stores(r, cfg);
  } else {
    r.add("model", Status::skip, "config did not load");
  }
  check_cpu(r);
  check_gpu(r, cfg);
  if (config_ok) {
    check_port(r, cfg);
    check_providers(r, cfg, args);
  }
  if (args.json) print_json(r);
  else print_text(r);
  fflush(stdout);
  return r.count(Status::fail) == 0 ? kExitOk : kExitError;
}

}  // namespace

void register_doctor(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<DoctorArgs>();
  CLI::App* cmd = app.add_subcommand(
      "doctor", "Check config, model, store paths, CPU/GPU, port and search providers; print what to fix");
  add_config_flags(cmd,
                   {"model", "draft_model", "embedding_model", "knowledge_path", "host", "port", "num_gpu", "web",
                    "search_providers", "log_level", "default_model", "auto_pull", "registry"},
                   &args->flags);
  cmd->add_flag("--json", args->json, "print the checks as JSON");
  cmd->add_flag("--no-network", args->no_network, "do not contact the search providers");
  cmd->add_option("--timeout-ms", args->timeout_ms, "bound on all provider requests together [default 2500]")
      ->check(CLI::Range(100, 30000));
  cmd->callback([args, exit_code] { *exit_code = run_doctor(*args); });
}

}  // namespace owlet::app
