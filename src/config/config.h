// owlet configuration: one plain struct, filled in layers.
//
//   defaults  <  YAML file (--config, else ~/.config/owlet/config.yml if present)
//             <  environment (OWLET_<KEY>, e.g. OWLET_TOP_K=20)
//             <  command-line flags
//
// Every layer goes through config_set(), so a key is validated the same way
// wherever it comes from, and every error names the key and where it came from.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace owlet {

struct Config {
  // model and engine
  std::string model;               // GGUF path, Ollama name (qwen2.5:0.5b) or hf://owner/repo/file.gguf
  // first run: the model used when `model` is empty, pulled on first use (app/first_run.h)
  std::string default_model = "qwen2.5:1.5b";
  bool auto_pull = true;           // ask/serve pull default_model when it is not in a store yet
  std::string registry;            // Ollama registry base URL for those pulls; "" = the name's host (https)
  std::string draft_model;         // small model of the same vocabulary for speculative decoding
  int n_draft = 6;                 // tokens the draft proposes per step
  int parallel = 4;                // sequences decoded together (slots)
  std::string keep_alive = "5m";   // how long an idle model stays loaded (Ollama syntax; -1 = forever)
  int threads = 0;                 // 0 = every hardware thread
  int ctx_size = 4096;             // tokens of context per sequence
  int batch_size = 512;            // tokens per decode call
  std::string precision = "f16";   // KV-cache type: f16 | bf16 | q8_0
  std::string flash_attn = "auto"; // auto | on | off
  int num_gpu = -1;                // layers offloaded when a GPU backend is built (-1 = all)
  bool mmap = true;

  // sampling
  float temperature = 0.8f;
  int top_k = 40;
  float top_p = 0.9f;
  float min_p = 0.05f;
  float repeat_penalty = 1.1f;
  int repeat_last_n = 64;
  long long seed = -1;             // -1 = random
  int num_predict = -1;            // -1 = until end of turn or context full

  // storage and serving
  std::string knowledge_path;      // default ~/.local/share/owlet
  std::string embedding_model;     // enables the knowledge base's vector tier
  std::string host = "127.0.0.1";
  int port = 11435;
  std::string log_level = "warn";  // error | warn | info | debug

  // answer pipeline
  std::string web = "auto";        // auto | always | never: may the pipeline go online
  std::string engine = "auto";     // auto (the model when there is one) | llm | extractive (the sources' own sentences)
  bool ground_chat = true;         // /api/chat and /v1/chat/completions go through the pipeline
  bool sources_block = false;      // also append a "Sources:" block to chat answers' text
  double coverage_threshold = 0.7; // local coverage below this goes online
  bool router_model = false;       // uncertain router decisions refined by the loaded model (one token)
  int search_deadline_ms = 2000;   // search providers, all in parallel
  int fetch_deadline_ms = 3000;    // page fetches (web-deep), all in parallel
  int total_deadline_ms = 5000;    // everything before the prompt; what arrived in time is used
  int fetch_pages = 5;             // pages read for a web-deep answer
  int context_tokens = 384;        // cap of the sources block (tokens)
  int max_sources = 6;
  double context_confidence = 0.95; // adaptive stop: picks end once they hold this share of belief; 1 = fill the budget
  double context_floor = 0.4;      // sentences scoring below this fraction of the best are left out; 0 = off
  int context_neighbors = 1;       // sentences kept on each side of the best pick
  int context_per_source = 6;      // sentences taken from one source at most
  int context_chunks = 0;          // k > 0: the top-k chunks whole (the naive peer); 0 = picked sentences
  bool context_reuse = true;       // a question over the same pages extends the block sent before (KV reuse)
  int context_extension = 128;     // tokens such an extension may add at most; 0 = up to context_tokens
  bool context_prefetch = true;    // after an answer, on an idle engine: the block widened for a follow-up, evaluated
  bool prefill_early = true;       // evaluate the system prompt and history while retrieval runs
  std::string cache_ttl_fast = "10m";   // answer-cache TTL by freshness class
  std::string cache_ttl_slow = "24h";
  std::string cache_ttl_never = "30d";
  std::string knowledge_cache_size = "2GB";  // LRU of fetched pages and search results
  bool learn = true;               // ingest pages fetched for answers into the knowledge base
  int max_tool_rounds = 4;         // "owlet": {"tools": true}: web_search/web_fetch rounds before the model must answer

  // web sources
  std::string search_providers = "duckduckgo,wikipedia";  // any of searxng, brave, ollama, wikipedia, duckduckgo
  std::string searxng_url = "http://127.0.0.1:8888";
  std::string brave_url = "https://api.search.brave.com";
  std::string brave_api_key;
  std::string ollama_search_url = "https://ollama.com";
  std::string ollama_api_key;
  std::string wikipedia_url = "https://{lang}.wikipedia.org";
  std::string duckduckgo_url = "https://html.duckduckgo.com";
  std::string allow_domains;       // comma-separated; non-empty = only these (and subdomains)
  std::string deny_domains;        // comma-separated; always refused
  std::string allow_private;       // comma-separated CIDRs/hosts the fetcher may reach though private (e.g. 127.0.0.1)
  std::string user_agent;          // "" = owlet's own
  double host_rate_limit = 0;      // web requests per second per host (cluster-wide with cluster_redis); 0 = unlimited

  // past one machine (docs/CLUSTER.md)
  std::string cluster_redis;       // redis://[[user]:password@]host:port/db (rediss:// = TLS); "" = single node
  std::string rpc_servers;         // llama.cpp RPC servers host:port,... holding the offloaded layers

  // the server's front door
  std::string allowed_origins;     // comma-separated browser origins (like OLLAMA_ORIGINS); loopback and the UI always
  std::string allowed_hosts;       // comma-separated Host names besides IP literals, localhost, this machine's name
  std::string allowed_registries = "registry.ollama.ai,ollama.com,huggingface.co,hf.co";  // for names over the API
  bool allow_insecure_registries = false;  // /api/pull with "insecure": true

  // experiments (A/B)
  std::string experiment_arms;     // "control:50,deep:50" (name:weight); "" = no experiment
  // Per-arm overrides, set as `arm.<name>.<key>`: arm name -> (key, value) in
  // the order set. Kept as text so an arm's config is the base config with these
  // applied through config_set, validated exactly like the plain keys.
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> arms;
};

// Keys an arm may override (`arm.<name>.<key>`).
const std::vector<std::string>& config_arm_keys();

struct ArmWeight {
  std::string name;  // [a-z0-9_-]+
  int weight = 0;    // > 0
};
// Parses experiment_arms ("control:50,deep:50"); "" = no arms. False with *err
// naming the key and the fault.
bool config_parse_arms(std::string_view spec, std::vector<ArmWeight>* out, std::string* err);
// Every arm named by an override exists in experiment_arms, and the list parses.
bool config_check_arms(const Config& cfg, std::string* err);
// cfg with the overrides of `arm` applied (arms cleared in the copy).
bool config_for_arm(const Config& cfg, const std::string& arm, Config* out, std::string* err);

// One settable key, for --help text and the config reference.
struct ConfigKey {
  std::string name;          // "top_k"
  std::string type;          // "int", "float", "string", "bool"
  std::string default_value; // as text
  std::string help;
};

const std::vector<ConfigKey>& config_keys();

// Sets one key from text. On failure returns false and sets *err to a line
// such as "top_k: expected an integer, got 'abc'".
bool config_set(Config& cfg, std::string_view key, std::string_view value, std::string* err);

// Reads a YAML mapping of key: value. Nested mappings become dotted keys.
// Unknown keys and bad values are errors naming the key and the file.
bool config_load_yaml(Config& cfg, const std::string& path, std::string* err);

// Applies OWLET_<KEY> variables from envp (NULL-terminated, like environ).
// Variables that are not config keys (OWLET_CONFIG, setup's OWLET_JOBS…) and empty ones are ignored.
bool config_load_env(Config& cfg, char** envp, std::string* err);

// The YAML file to read: explicit path if given (must exist), else
// $OWLET_CONFIG, else ~/.config/owlet/config.yml when it exists, else "".
bool config_default_path(const std::string& explicit_path, std::string* path, std::string* err);

// "90s", "10m", "24h", "30d" or bare seconds -> seconds; -1 when malformed.
long long config_parse_duration(std::string_view v);
// "2GB", "512MB", "64K" or bytes -> bytes; -1 when malformed.
long long config_parse_size(std::string_view v);

// Comma-separated list, items trimmed, empty ones dropped.
std::vector<std::string> config_split_list(std::string_view v);

// ~/.local/share/owlet unless set.
std::string config_knowledge_path(const Config& cfg);

}  // namespace owlet

namespace owlet {

// All layers at once: defaults < YAML (explicit_path or the default file) <
// environment < flags (key → value, already named by config key).
bool config_resolve(Config& cfg, const std::string& explicit_path, char** envp,
                    const std::vector<std::pair<std::string, std::string>>& flags, std::string* err);

}  // namespace owlet
