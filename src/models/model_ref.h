// What a user means by a model string:
//
//   /models/qwen.gguf, ./m.gguf, any existing file      → a file path
//   qwen2.5:0.5b, deepseek-r1:1.5b, library/x:tag,
//   host[:port]/namespace/model:tag                      → an Ollama name
//     (host registry.ollama.ai, namespace library and tag latest by default)
//   hf://owner/repo/file.gguf[@revision]                 → a Hugging Face file (revision main by default)
//   https://huggingface.co/owner/repo/resolve/rev/file.gguf   (same, as a URL)
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"

namespace owlet::models {

inline constexpr const char* kOllamaDefaultHost = "registry.ollama.ai";
inline constexpr const char* kOllamaV2Host = "ollama.com";  // manifests-v2/ spelling of the default host
inline constexpr const char* kOllamaDefaultNamespace = "library";
inline constexpr const char* kOllamaDefaultTag = "latest";

struct OllamaName {
  std::string host = kOllamaDefaultHost;
  std::string ns = kOllamaDefaultNamespace;
  std::string model;
  std::string tag = kOllamaDefaultTag;

  bool default_host() const;  // registry.ollama.ai or ollama.com
  // Shortest form a user would type: "qwen2.5:0.5b", "ns/model:tag", "host/ns/model:tag".
  std::string display() const;
  // host/namespace/model/tag, the manifest path under manifests/.
  std::string rel_path() const;
};

struct HfRef {
  std::string owner;
  std::string repo;
  std::string file;  // may contain '/': a file in a subfolder of the repo
  std::string revision = "main";

  std::string display() const;  // hf://owner/repo/file[@revision when not main]
};

struct ModelRef {
  enum class Kind { path, ollama, hf };
  Kind kind = Kind::path;
  std::string text;  // what the user wrote
  std::string path;  // Kind::path
  OllamaName ollama; // Kind::ollama
  HfRef hf;          // Kind::hf

  std::string display() const;
};

// How a string that could name a file is told apart from a model name.
enum class PathRule {
  probe,   // CLI and config: an existing file is a path (looks at the file system)
  syntax,  // names from the network: decided by spelling alone, so the answer never
           // depends on (and never reveals) what files exist
};

// Classifies and parses `text`. Returns false with ErrorKind::bad_request and a
// one-line reason for malformed names ("invalid model name 'a::b': empty tag ...")
// and for any control character (a NUL would cut a path short).
bool parse_model_ref(std::string_view text, ModelRef* out, Error* err, PathRule rule = PathRule::probe);

// The key Ollama compares model names by: case folded, with the default host,
// namespace and tag filled in, so "Qwen3-Tiny", "qwen3-tiny:latest" and
// "registry.ollama.ai/library/qwen3-tiny:latest" are one model. Decided by
// spelling alone; anything that is not an Ollama name (a path, hf://) is its own key.
std::string model_name_key(std::string_view name);
bool same_model_name(std::string_view a, std::string_view b);

// The pieces, for callers that know what they hold.
bool parse_ollama_name(std::string_view text, OllamaName* out, Error* err);
bool parse_hf_ref(std::string_view text, HfRef* out, Error* err);

}  // namespace owlet::models
