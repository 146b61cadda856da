#include "config/config.h"
#include "config/env_warnings.h"
#include "common/suggest.h"
#include "common/strings.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>

#include "common/strings.h"

namespace owlet {

long long config_parse_duration(std::string_view v) {
  if (v.empty()) return -1;
  long long mult = 1;
  switch (v.back()) {
    case 's': mult = 1; v.remove_suffix(1); break;
    case 'm': mult = 60; v.remove_suffix(1); break;
    case 'h': mult = 3600; v.remove_suffix(1); break;
    case 'd': mult = 86400; v.remove_suffix(1); break;
    default: break;
  }
  long long x = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (ec != std::errc() || p != v.data() + v.size() || v.empty() || x < 0 || x > (1LL << 40)) return -1;
  return x * mult;
}

long long config_parse_size(std::string_view v) {
  std::string s(v);
  for (char& c : s)  // ASCII only: ::toupper on a negative char is undefined
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  long long mult = 1;
  for (auto [suf, m] : {std::pair<const char*, long long>{"GB", 1LL << 30}, {"MB", 1LL << 20}, {"KB", 1LL << 10},
                        {"G", 1LL << 30}, {"M", 1LL << 20}, {"K", 1LL << 10}, {"B", 1}}) {
    size_t n = strlen(suf);
    if (s.size() > n && s.compare(s.size() - n, n, suf) == 0) {
      mult = m;
      s.resize(s.size() - n);
      break;
    }
  }
  long long x = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty() || x < 0 || x > (1LL << 50) / mult) return -1;
  return x * mult;
}

namespace {

// How to parse, check and store one key. The table below is the single
// source of truth: config_keys(), YAML, env and flags all go through it.
struct KeySpec {
  ConfigKey doc;
  std::function<bool(Config&, std::string_view, std::string*)> set;
};

std::string quote(std::string_view v) { return "'" + std::string(v) + "'"; }

bool parse_ll(std::string_view v, long long* out) {
  const char* b = v.data();
  const char* e = v.data() + v.size();
  auto [p, ec] = std::from_chars(b, e, *out);
  return ec == std::errc() && p == e && !v.empty();
}

bool parse_double(std::string_view v, double* out) {
  std::string s(v);
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  *out = std::strtod(s.c_str(), &end);
  return errno == 0 && end == s.c_str() + s.size() && std::isfinite(*out);
}

KeySpec int_key(const char* name, int Config::*field, long long lo, long long hi, const char* help) {
  Config d;
  return {{name, "int", std::to_string(d.*field), help},
          [=](Config& c, std::string_view v, std::string* err) {
            long long x = 0;
            if (!parse_ll(v, &x)) {
              *err = std::string(name) + ": expected an integer, got " + quote(v);
              return false;
            }
            if (x < lo || x > hi) {
              *err = std::string(name) + ": " + std::string(v) + " is out of range [" + std::to_string(lo) + ", " +
                     std::to_string(hi) + "]";
              return false;
            }
            c.*field = static_cast<int>(x);
            return true;
          }};
}

KeySpec ll_key(const char* name, long long Config::*field, long long lo, long long hi, const char* help) {
  Config d;
  return {{name, "int", std::to_string(d.*field), help},
          [=](Config& c, std::string_view v, std::string* err) {
            long long x = 0;
            if (!parse_ll(v, &x) || x < lo || x > hi) {
              *err = std::string(name) + ": expected an integer in [" + std::to_string(lo) + ", " +
                     std::to_string(hi) + "], got " + quote(v);
              return false;
            }
            c.*field = x;
            return true;
          }};
}

KeySpec float_key(const char* name, float Config::*field, double lo, double hi, const char* help) {
  Config d;
  char def[32];
  snprintf(def, sizeof def, "%g", static_cast<double>(d.*field));
  return {{name, "float", def, help}, [=](Config& c, std::string_view v, std::string* err) {
            double x = 0;
            if (!parse_double(v, &x)) {
              *err = std::string(name) + ": expected a number, got " + quote(v);
              return false;
            }
            if (x < lo || x > hi) {
              char buf[128];
              snprintf(buf, sizeof buf, "%s: %s is out of range [%g, %g]", name, std::string(v).c_str(), lo, hi);
              *err = buf;
              return false;
            }
            c.*field = static_cast<float>(x);
            return true;
          }};
}

KeySpec double_key(const char* name, double Config::*field, double lo, double hi, const char* help) {
  Config d;
  char def[32];
  snprintf(def, sizeof def, "%g", d.*field);
  return {{name, "float", def, help}, [=](Config& c, std::string_view v, std::string* err) {
            double x = 0;
            if (!parse_double(v, &x) || x < lo || x > hi) {
              char buf[160];
              snprintf(buf, sizeof buf, "%s: expected a number in [%g, %g], got '%s'", name, lo, hi,
                       std::string(v).c_str());
              *err = buf;
              return false;
            }
            c.*field = x;
            return true;
          }};
}

// "90s", "10m", "24h", "30d" (a bare number is seconds).
KeySpec duration_key(const char* name, std::string Config::*field, const char* help) {
  Config d;
  return {{name, "duration", d.*field, help}, [=](Config& c, std::string_view v, std::string* err) {
            if (config_parse_duration(v) < 0) {
              *err = std::string(name) + ": expected a duration like 90s, 10m, 24h or 30d, got " + quote(v);
              return false;
            }
            c.*field = std::string(v);
            return true;
          }};
}

// "2GB", "512MB", "64KB", or bytes.
KeySpec size_key(const char* name, std::string Config::*field, const char* help) {
  Config d;
  return {{name, "size", d.*field, help}, [=](Config& c, std::string_view v, std::string* err) {
            if (config_parse_size(v) < 0) {
              *err = std::string(name) + ": expected a size like 2GB, 512MB or 65536, got " + quote(v);
              return false;
            }
            c.*field = std::string(v);
            return true;
          }};
}

KeySpec string_key(const char* name, std::string Config::*field, const char* help) {
  Config d;
  return {{name, "string", d.*field, help}, [=](Config& c, std::string_view v, std::string*) {
            c.*field = std::string(v);
            return true;
          }};
}

KeySpec enum_key(const char* name, std::string Config::*field, std::vector<std::string> allowed, const char* help) {
  Config d;
  std::string h = std::string(help) + " (";
  for (size_t i = 0; i < allowed.size(); ++i) h += (i ? " | " : "") + allowed[i];
  h += ")";
  return {{name, "string", d.*field, h}, [=](Config& c, std::string_view v, std::string* err) {
            if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
              *err = std::string(name) + ": " + quote(v) + " is not one of";
              for (const auto& a : allowed) *err += " " + a;
              return false;
            }
            c.*field = std::string(v);
            return true;
          }};
}

KeySpec bool_key(const char* name, bool Config::*field, const char* help) {
  Config d;
  return {{name, "bool", d.*field ? "true" : "false", help}, [=](Config& c, std::string_view v, std::string* err) {
            const std::string s = ascii_lower(v);
            if (s == "true" || s == "1" || s == "yes" || s == "on") c.*field = true;
            else if (s == "false" || s == "0" || s == "no" || s == "off") c.*field = false;
            else {
              *err = std::string(name) + ": expected true or false, got " + quote(v);
              return false;
            }
            return true;
          }};
}

const std::vector<KeySpec>& specs() {
  static const std::vector<KeySpec> table = {
      string_key("model", &Config::model, "model: GGUF path, Ollama name (qwen2.5:0.5b) or hf://owner/repo/file.gguf"),
      string_key("default_model", &Config::default_model,
                 "Ollama-registry model used when `model` is empty; ask and serve pull it on first use"),
      bool_key("auto_pull", &Config::auto_pull, "pull default_model on first use when it is not in a store"),
      string_key("registry", &Config::registry,
                 "Ollama registry base URL for pulls of default_model (empty = https://registry.ollama.ai)"),
      string_key("draft_model", &Config::draft_model, "draft model for speculative decoding (same vocabulary)"),
      int_key("n_draft", &Config::n_draft, 1, 64, "tokens the draft model proposes per step"),
      int_key("parallel", &Config::parallel, 1, 64, "requests decoded together (slots), each with ctx_size tokens"),
      string_key("keep_alive", &Config::keep_alive, "idle time before a model is unloaded (5m, 1h, 0, -1 = never)"),
      int_key("threads", &Config::threads, 0, 1024, "CPU threads for inference; 0 = every hardware thread"),
      int_key("ctx_size", &Config::ctx_size, 64, 1 << 20, "context window in tokens"),
      int_key("batch_size", &Config::batch_size, 1, 1 << 16, "tokens per decode call (prompt processing batch)"),
      enum_key("precision", &Config::precision, {"f16", "bf16", "q8_0", "f32"}, "KV-cache precision"),
      enum_key("flash_attn", &Config::flash_attn, {"auto", "on", "off"}, "flash attention"),
      int_key("num_gpu", &Config::num_gpu, -1, 1000, "layers to offload to a GPU backend; -1 = all"),
      bool_key("mmap", &Config::mmap, "memory-map model files"),
      float_key("temperature", &Config::temperature, 0.0, 100.0, "sampling temperature; 0 = greedy"),
      int_key("top_k", &Config::top_k, 0, 1 << 20, "keep the k most likely tokens; 0 = off"),
      float_key("top_p", &Config::top_p, 0.0, 1.0, "nucleus sampling threshold; 1 = off"),
      float_key("min_p", &Config::min_p, 0.0, 1.0, "drop tokens below min_p x the best token's probability"),
      float_key("repeat_penalty", &Config::repeat_penalty, 0.0, 10.0, "penalty for repeated tokens; 1 = off"),
      int_key("repeat_last_n", &Config::repeat_last_n, -1, 1 << 20, "tokens considered by repeat_penalty"),
      ll_key("seed", &Config::seed, -1, 0xFFFFFFFFLL, "sampling seed; -1 = random"),
      int_key("num_predict", &Config::num_predict, -1, 1 << 24, "max tokens to generate; -1 = until done"),
      string_key("knowledge_path", &Config::knowledge_path, "knowledge base directory (default ~/.local/share/owlet)"),
      string_key("embedding_model", &Config::embedding_model, "embedding model for the knowledge base's vector tier"),
      string_key("host", &Config::host, "address the server binds"),
      int_key("port", &Config::port, 1, 65535, "port the server listens on"),
      enum_key("log_level", &Config::log_level, {"error", "warn", "info", "debug"}, "log verbosity"),
      enum_key("web", &Config::web, {"auto", "always", "never"}, "whether answers may use the web"),
      enum_key("engine", &Config::engine, {"auto", "llm", "extractive"},
               "answer with the model (auto: when there is one, else the sources' sentences; llm: the model or "
               "fail), or with the sources' sentences"),
      bool_key("ground_chat", &Config::ground_chat, "chat APIs answer through the pipeline (web + knowledge base)"),
      bool_key("sources_block", &Config::sources_block, "append a 'Sources:' block to chat answers' text"),
      double_key("coverage_threshold", &Config::coverage_threshold, 0.0, 1.0,
                 "router: local coverage below this goes online"),
      bool_key("router_model", &Config::router_model,
               "router: uncertain decisions are refined by the loaded model with a one-token prompt"),
      int_key("search_deadline_ms", &Config::search_deadline_ms, 1, 600000, "deadline for the search providers"),
      int_key("fetch_deadline_ms", &Config::fetch_deadline_ms, 1, 600000, "deadline for page fetches"),
      int_key("total_deadline_ms", &Config::total_deadline_ms, 1, 600000,
              "deadline for all retrieval before the prompt"),
      int_key("fetch_pages", &Config::fetch_pages, 0, 50, "pages read for a web-deep answer"),
      int_key("context_tokens", &Config::context_tokens, 64, 1 << 20, "cap of the sources block in the prompt (tokens)"),
      int_key("max_sources", &Config::max_sources, 1, 50, "sources cited at most per answer"),
      double_key("context_confidence", &Config::context_confidence, 0.0, 1.0,
                 "adaptive stop: sentences are added until they hold this share of belief; 1 = fill the budget"),
      double_key("context_floor", &Config::context_floor, 0.0, 1.0,
                 "sentences scoring below this fraction of the best one are left out; 0 = off"),
      int_key("context_neighbors", &Config::context_neighbors, 0, 10, "sentences kept on each side of the best pick"),
      int_key("context_per_source", &Config::context_per_source, 1, 100, "sentences taken from one source at most"),
      int_key("context_chunks", &Config::context_chunks, 0, 50,
              "k > 0: the sources block is the top-k chunks whole (the naive baseline); 0 = picked sentences"),
      bool_key("context_reuse", &Config::context_reuse,
               "a question over the same pages extends the sources block sent before, reusing its KV cache"),
      int_key("context_extension", &Config::context_extension, 0, 1 << 20,
              "tokens such an extension may add at most; 0 = up to context_tokens"),
      bool_key("context_prefetch", &Config::context_prefetch,
               "after a grounded answer, on an idle engine, the block widened for a follow-up is evaluated ahead"),
      bool_key("prefill_early", &Config::prefill_early, "evaluate the system prompt and history while retrieval runs"),
      duration_key("cache_ttl_fast", &Config::cache_ttl_fast, "answer-cache TTL of fast-changing answers"),
      duration_key("cache_ttl_slow", &Config::cache_ttl_slow, "answer-cache TTL of slow-changing answers"),
      duration_key("cache_ttl_never", &Config::cache_ttl_never, "answer-cache TTL of never-changing answers"),
      size_key("knowledge_cache_size", &Config::knowledge_cache_size, "byte bound of the fetched-page LRU (2GB, 512MB)"),
      bool_key("learn", &Config::learn, "store pages fetched for answers in the knowledge base"),
      int_key("max_tool_rounds", &Config::max_tool_rounds, 1, 32,
              "rounds of owlet's web_search/web_fetch tools a model may call before it must answer"),
      string_key("search_providers", &Config::search_providers,
                 "comma-separated: searxng, brave, ollama, wikipedia, duckduckgo"),
      string_key("searxng_url", &Config::searxng_url, "SearxNG instance (JSON API)"),
      string_key("brave_url", &Config::brave_url, "Brave Search API base URL"),
      string_key("brave_api_key", &Config::brave_api_key, "Brave Search API key"),
      string_key("ollama_search_url", &Config::ollama_search_url, "Ollama web search base URL"),
      string_key("ollama_api_key", &Config::ollama_api_key, "Ollama web search API key"),
      string_key("wikipedia_url", &Config::wikipedia_url, "MediaWiki base URL; {lang} = the question's language"),
      string_key("duckduckgo_url", &Config::duckduckgo_url, "DuckDuckGo HTML endpoint"),
      string_key("allow_domains", &Config::allow_domains, "comma-separated domains; non-empty = only these"),
      string_key("deny_domains", &Config::deny_domains, "comma-separated domains never fetched or cited"),
      string_key("allow_private", &Config::allow_private,
                 "comma-separated CIDRs or hosts the fetcher may reach though private (e.g. 127.0.0.1)"),
      string_key("user_agent", &Config::user_agent, "User-Agent of web requests (empty = owlet's own)"),
      string_key("allowed_origins", &Config::allowed_origins,
                 "browser origins the server answers besides its own UI and loopback pages (like OLLAMA_ORIGINS; "
                 "comma-separated, globs such as https://*.example.com, * = any)"),
      string_key("allowed_hosts", &Config::allowed_hosts,
                 "Host names the server answers besides IP addresses, localhost and this machine's name "
                 "(comma-separated; * = any)"),
      string_key("allowed_registries", &Config::allowed_registries,
                 "registries model names over the API may come from (comma-separated hosts, host:port)"),
      bool_key("allow_insecure_registries", &Config::allow_insecure_registries,
               "let /api/pull use plain http and skip certificate checks (\"insecure\": true)"),
      double_key("host_rate_limit", &Config::host_rate_limit, 0.0, 10000.0,
                 "web requests per second per host (cluster-wide with cluster_redis); 0 = unlimited"),
      {{"cluster_redis", "string", "", "Redis shared by replicas: redis://[:password@]host:port/db (rediss:// = TLS)"},
       [](Config& c, std::string_view v, std::string* err) {
         // The value may hold a password: the message never repeats it.
         if (!v.empty() && v.rfind("redis://", 0) != 0 && v.rfind("rediss://", 0) != 0) {
           *err = "cluster_redis: expected redis://host:port/db or rediss://host:port/db";
           return false;
         }
         c.cluster_redis = std::string(v);
         return true;
       }},
      {{"rpc_servers", "string", "", "llama.cpp RPC servers (host:port,...) the model's layers are split over"},
       [](Config& c, std::string_view v, std::string* err) {
         for (const std::string& s : config_split_list(v)) {
           size_t colon = s.rfind(':');
           long long port = 0;
           if (colon == std::string::npos || colon == 0 || !parse_ll(s.substr(colon + 1), &port) || port < 1 ||
               port > 65535) {
             *err = "rpc_servers: expected host:port, got " + quote(s);
             return false;
           }
         }
         c.rpc_servers = std::string(v);
         return true;
       }},
      {{"experiment_arms", "string", "", "A/B arms as name:weight,... (control:50,deep:50); overrides in arm.<name>.<key>"},
       [](Config& c, std::string_view v, std::string* err) {
         std::vector<ArmWeight> arms;
         if (!config_parse_arms(v, &arms, err)) return false;
         c.experiment_arms = std::string(v);
         return true;
       }},
  };
  return table;
}

const KeySpec* find_spec(std::string_view key) {
  for (const auto& s : specs())
    if (s.doc.name == key) return &s;
  return nullptr;
}

bool valid_arm_name(std::string_view n) {
  if (n.empty() || n.size() > 64) return false;
  for (char c : n)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  return true;
}

// "arm.<name>.<key>": true with the parts split out (not yet validated).
bool split_arm_key(std::string_view key, std::string_view* name, std::string_view* inner) {
  if (key.rfind("arm.", 0) != 0) return false;
  key.remove_prefix(4);
  size_t dot = key.find('.');
  if (dot == std::string_view::npos) return false;
  *name = key.substr(0, dot);
  *inner = key.substr(dot + 1);
  return true;
}

bool set_arm_key(Config& cfg, std::string_view key, std::string_view value, std::string* err) {
  std::string_view name, inner;
  split_arm_key(key, &name, &inner);
  if (!valid_arm_name(name)) {
    *err = std::string(key) + ": arm name '" + std::string(name) + "' must be made of a-z, 0-9, _ and -";
    return false;
  }
  const auto& allowed = config_arm_keys();
  if (std::find(allowed.begin(), allowed.end(), inner) == allowed.end()) {
    *err = std::string(key) + ": an arm cannot override '" + std::string(inner) + "' (only";
    for (const auto& a : allowed) *err += " " + a;
    *err += ")";
    return false;
  }
  // Validate on a scratch config: the plain key's own rules, its own message.
  Config scratch;
  std::string e;
  if (!find_spec(inner)->set(scratch, value, &e)) {
    *err = "arm." + std::string(name) + "." + e;
    return false;
  }
  auto& overrides = cfg.arms[std::string(name)];
  for (auto& [k, v] : overrides)
    if (k == inner) {
      v = std::string(value);  // a later layer replaces an earlier one
      return true;
    }
  overrides.emplace_back(std::string(inner), std::string(value));
  return true;
}

bool load_yaml_node(Config& cfg, const YAML::Node& node, const std::string& prefix, const std::string& file,
                    std::string* err) {
  for (auto it = node.begin(); it != node.end(); ++it) {
    std::string key = prefix + it->first.as<std::string>();
    YAML::Node v = it->second;
    if (v.IsMap()) {
      if (!load_yaml_node(cfg, v, key + ".", file, err)) return false;
      continue;
    }
    std::string_view arm_name, arm_inner;
    if (!find_spec(key) && !split_arm_key(key, &arm_name, &arm_inner)) {
      *err = file + ": unknown key '" + key + "'";
      return false;
    }
    if (!v.IsScalar()) {
      *err = file + ": " + key + ": expected a single value";
      return false;
    }
    std::string e;
    if (!config_set(cfg, key, v.Scalar(), &e)) {
      *err = file + ": " + e;
      return false;
    }
  }
  return true;
}

}  // namespace

const std::vector<ConfigKey>& config_keys() {
  static const std::vector<ConfigKey> keys = [] {
    std::vector<ConfigKey> out;
    for (const auto& s : specs()) out.push_back(s.doc);
    return out;
  }();
  return keys;
}

bool config_set(Config& cfg, std::string_view key, std::string_view value, std::string* err) {
  std::string_view arm_name, arm_inner;
  if (split_arm_key(key, &arm_name, &arm_inner)) return set_arm_key(cfg, key, value, err);
  const KeySpec* s = find_spec(key);
  if (!s) {
    *err = "unknown key '" + std::string(key) + "'";
    return false;
  }
  return s->set(cfg, value, err);
}

bool config_load_yaml(Config& cfg, const std::string& path, std::string* err) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    *err = path + ": cannot read file";
    return false;
  } catch (const YAML::Exception& e) {
    *err = path + ": invalid YAML at line " + std::to_string(e.mark.line + 1) + ": " + e.msg;
    return false;
  }
  if (root.IsNull()) return true;  // an empty file sets nothing
  if (!root.IsMap()) {
    *err = path + ": expected a mapping of key: value";
    return false;
  }
  try {
    return load_yaml_node(cfg, root, "", path, err);
  } catch (const YAML::Exception& e) {
    *err = path + ": " + e.msg;
    return false;
  }
}

bool config_load_env(Config& cfg, char** envp, std::string* err) {
  if (!envp) return true;
  for (char** e = envp; *e; ++e) {
    std::string_view kv(*e);
    if (kv.rfind("OWLET_", 0) != 0) continue;
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string key = ascii_lower(kv.substr(6, eq - 6));
    if (!find_spec(key)) continue;
    if (eq + 1 == kv.size()) continue;  // OWLET_X= (empty) counts as unset
    std::string e2;
    if (!config_set(cfg, key, kv.substr(eq + 1), &e2)) {
      *err = "environment OWLET_" + std::string(kv.substr(6, eq - 6)) + ": " + e2;
      return false;
    }
  }
  return true;
}

std::vector<std::string> config_env_warnings(char** envp) {
  static const std::vector<std::string> other = {"CONFIG", "MODELS", "API_KEY", "CURL_VERBOSE", "JOBS", "GGML_FLAGS",
                                                 "SANITIZE", "AMX", "EVAL_DIR", "BINARY", "BINARY_PATH", "CHAT_MODEL",
                                                 "EMBED_MODEL", "CHROMIUM", "MKMODEL", "FIXTURE_DIR", "SOURCE_DIR",
                                                 "CACHE", "CACHE_WRITER", "HTTPLIB", "ENGINE_ONLY", "FUZZ_TARGET"};
  // Prefixes of the build's, setup's, benchmarks' and tests' variables.
  static const std::vector<std::string> prefixes = {"BUILD_", "LLAMA_", "BENCH_", "TEST_",  "SKIP_", "NPM_",
                                                    "GPU",    "CUDA_",  "ANSWER_", "WEBUI_", "WEB_DIR", "WEB_DEPS",
                                                    "WEB_FILES", "WEB_ASSETS", "ROUTE_WEIGHTS", "SERVER_HTTPLIB",
                                                    "STORE_HTTPLIB", "HAVE_", "HIREDIS_"};
  std::vector<std::string> out;
  if (!envp) return out;
  std::vector<std::string> candidates;
  for (const auto& k : config_keys()) {
    std::string v = k.name;
    for (auto& c : v) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
    candidates.push_back(v);
  }
  for (char** e = envp; *e; ++e) {
    std::string_view kv(*e);
    if (kv.rfind("OWLET_", 0) != 0) continue;
    const std::string name(kv.substr(6, kv.find('=') == std::string_view::npos ? std::string_view::npos : kv.find('=') - 6));
    const std::string key = ascii_lower(name);
    std::string_view arm, inner;
    if (name.empty() || find_spec(key) || split_arm_key(key, &arm, &inner)) continue;
    if (std::find(other.begin(), other.end(), name) != other.end()) continue;
    bool tooling = false;
    for (const auto& p : prefixes) tooling = tooling || name.rfind(p, 0) == 0;
    if (tooling) continue;
    std::string line = "unknown environment variable OWLET_" + name + " ignored";
    std::string near = nearest_name(name, candidates);
    if (near.empty()) near = nearest_name(name, other);
    if (!near.empty()) line += "; did you mean OWLET_" + near + "?";
    out.push_back(line);
  }
  return out;
}

bool config_default_path(const std::string& explicit_path, std::string* path, std::string* err) {
  namespace fs = std::filesystem;
  std::string p = explicit_path;
  if (p.empty())
    if (const char* env = std::getenv("OWLET_CONFIG")) p = env;
  if (!p.empty()) {
    if (!fs::exists(p)) {
      *err = "config file " + p + " does not exist";
      return false;
    }
    *path = p;
    return true;
  }
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  const char* home = std::getenv("HOME");
  fs::path def = xdg && *xdg ? fs::path(xdg) / "owlet/config.yml"
                 : home      ? fs::path(home) / ".config/owlet/config.yml"
                             : fs::path();
  *path = (!def.empty() && fs::exists(def)) ? def.string() : std::string();
  return true;
}

std::string config_knowledge_path(const Config& cfg) {
  if (!cfg.knowledge_path.empty()) return cfg.knowledge_path;
  const char* xdg = std::getenv("XDG_DATA_HOME");
  if (xdg && *xdg) return std::string(xdg) + "/owlet";
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.local/share/owlet";
}

}  // namespace owlet

namespace owlet {

bool config_resolve(Config& cfg, const std::string& explicit_path, char** envp,
                    const std::vector<std::pair<std::string, std::string>>& flags, std::string* err) {
  std::string path;
  if (!config_default_path(explicit_path, &path, err)) return false;
  if (!path.empty() && !config_load_yaml(cfg, path, err)) return false;
  if (!config_load_env(cfg, envp, err)) return false;
  for (const auto& [key, value] : flags) {
    std::string e;
    if (!config_set(cfg, key, value, &e)) {
      std::string flag = key;
      for (auto& c : flag)
        if (c == '_') c = '-';
      *err = "--" + flag + ": " + e;
      return false;
    }
  }
  return config_check_arms(cfg, err);
}

const std::vector<std::string>& config_arm_keys() {
  static const std::vector<std::string> keys = {"coverage_threshold", "context_tokens", "max_sources", "fetch_pages",
                                                "search_providers",   "model",          "web",         "engine"};
  return keys;
}

bool config_parse_arms(std::string_view spec, std::vector<ArmWeight>* out, std::string* err) {
  out->clear();
  for (const std::string& item : config_split_list(spec)) {
    size_t colon = item.rfind(':');
    ArmWeight a;
    a.name = item.substr(0, colon == std::string::npos ? item.size() : colon);
    while (!a.name.empty() && isspace(static_cast<unsigned char>(a.name.back()))) a.name.pop_back();
    if (colon == std::string::npos) {
      *err = "experiment_arms: '" + item + "' needs a weight (name:weight, e.g. control:50)";
      return false;
    }
    if (!valid_arm_name(a.name)) {
      *err = "experiment_arms: arm name '" + a.name + "' must be made of a-z, 0-9, _ and -";
      return false;
    }
    std::string_view w = std::string_view(item).substr(colon + 1);
    while (!w.empty() && isspace(static_cast<unsigned char>(w.front()))) w.remove_prefix(1);
    long long x = 0;
    if (!parse_ll(w, &x) || x < 1 || x > 1000000) {
      *err = "experiment_arms: weight of '" + a.name + "' must be an integer in [1, 1000000], got '" +
             std::string(w) + "'";
      return false;
    }
    for (const auto& b : *out)
      if (b.name == a.name) {
        *err = "experiment_arms: arm '" + a.name + "' is listed twice";
        return false;
      }
    a.weight = static_cast<int>(x);
    out->push_back(std::move(a));
  }
  return true;
}

bool config_check_arms(const Config& cfg, std::string* err) {
  std::vector<ArmWeight> arms;
  if (!config_parse_arms(cfg.experiment_arms, &arms, err)) return false;
  for (const auto& [name, overrides] : cfg.arms) {
    bool known = false;
    for (const auto& a : arms) known |= a.name == name;
    if (!known) {
      *err = "arm." + name + "." + (overrides.empty() ? std::string("*") : overrides.front().first) + ": arm '" +
             name + "' is not listed in experiment_arms" +
             (cfg.experiment_arms.empty() ? std::string(" (which is empty)") : " ('" + cfg.experiment_arms + "')");
      return false;
    }
  }
  return true;
}

bool config_for_arm(const Config& cfg, const std::string& arm, Config* out, std::string* err) {
  *out = cfg;
  out->arms.clear();
  out->experiment_arms.clear();
  auto it = cfg.arms.find(arm);
  if (it == cfg.arms.end()) return true;  // an arm without overrides is the base config (a control)
  for (const auto& [k, v] : it->second)
    if (!config_set(*out, k, v, err)) {
      *err = "arm." + arm + "." + *err;
      return false;
    }
  return true;
}

}  // namespace owlet

namespace owlet {

std::vector<std::string> config_split_list(std::string_view v) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= v.size()) {
    size_t j = v.find(',', i);
    if (j == std::string_view::npos) j = v.size();
    std::string_view item = v.substr(i, j - i);
    while (!item.empty() && isspace(static_cast<unsigned char>(item.front()))) item.remove_prefix(1);
    while (!item.empty() && isspace(static_cast<unsigned char>(item.back()))) item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    i = j + 1;
  }
  return out;
}

}  // namespace owlet
