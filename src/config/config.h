// owlet configuration: one plain struct, filled in layers.
//
//   defaults  <  YAML file (--config, else ~/.config/owlet/config.yml if present)
//             <  environment (OWLET_<KEY>, e.g. OWLET_TOP_K=20)
//             <  command-line flags
//
// Every layer goes through config_set(), so a key is validated the same way
// wherever it comes from, and every error names the key and where it came from.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace owlet {

struct Config {
  // model and engine
  std::string model;               // GGUF path, Ollama name (qwen2.5:0.5b) or hf://owner/repo/file.gguf
  std::string draft_model;         // small model of the same vocabulary for speculative decoding
  int n_draft = 6;                 // tokens the draft proposes per step
  int parallel = 4;                // sequences decoded together (slots)
  std::string keep_alive = "5m";   // how long an idle model stays loaded (Ollama syntax; -1 = forever)
  int threads = 0;                 // 0 = every hardware thread
  int ctx_size = 4096;             // tokens of context per sequence
  int batch_size = 512;            // tokens per decode call
  std::string precision = "f16";   // KV-cache type: f16 | bf16 | q8_0
  std::string flash_attn = "auto"; // auto | on | off
  int num_gpu = 0;                 // layers offloaded when a GPU backend is built
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
};

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

// ~/.local/share/owlet unless set.
std::string config_knowledge_path(const Config& cfg);

}  // namespace owlet

namespace owlet {

// All layers at once: defaults < YAML (explicit_path or the default file) <
// environment < flags (key → value, already named by config key).
bool config_resolve(Config& cfg, const std::string& explicit_path, char** envp,
                    const std::vector<std::pair<std::string, std::string>>& flags, std::string* err);

}  // namespace owlet
