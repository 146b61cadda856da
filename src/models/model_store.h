// Model stores: owlet's own (where `owlet pull` puts models) and an existing
// Ollama store, read in place. Both use Ollama's layout:
//
//   <store>/blobs/sha256-<hex>                          content-addressed files (GGUF, config, template…)
//   <store>/manifests/<host>/<namespace>/<model>/<tag>  legacy manifests (JSON), host registry.ollama.ai
//   <store>/manifests-v2/<host>/<namespace>/<model>/<tag>
//                                                       newer Ollama: host ollama.com; each tag is a symlink
//                                                       (or hard link / copy) of a manifest blob in blobs/
//
// A manifest lists layers; the one of media type application/vnd.ollama.image.model
// is the GGUF. Models pulled from Hugging Face live in owlet's store under
// manifests/huggingface.co/<owner>/<repo>/<file, %-escaped>[@revision].
//
//   models::ModelStore store;                    // $OWLET_MODELS / $OLLAMA_MODELS or the defaults
//   std::string path;
//   Error err;
//   if (!store.resolve("qwen2.5:0.5b", &path, &err)) { ... }   // verified GGUF path
//
// Errors carry kinds: bad_request (malformed name), not_found (no such model),
// unsupported (no GGUF layer, not a regular file), parse (broken manifest),
// io (unreadable), forbidden (removing from Ollama's store).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/error.h"
#include "models/manifest.h"
#include "models/model_ref.h"
#include "models/modelfile.h"

namespace owlet::models {

inline constexpr const char* kMediaTypeModel = "application/vnd.ollama.image.model";
inline constexpr const char* kMediaTypeManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* kMediaTypeManifestList = "application/vnd.ollama.manifest.list.v2+json";
inline constexpr const char* kMediaTypeConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr const char* kMediaTypeTemplate = "application/vnd.ollama.image.template";
inline constexpr const char* kMediaTypeSystem = "application/vnd.ollama.image.system";
inline constexpr const char* kMediaTypeParams = "application/vnd.ollama.image.params";
inline constexpr const char* kMediaTypeLicense = "application/vnd.ollama.image.license";
inline constexpr const char* kHfStoreHost = "huggingface.co";

struct StorePaths {
  std::string owlet;   // $OWLET_MODELS, else $XDG_DATA_HOME/owlet/models, else ~/.local/share/owlet/models
  std::string ollama;  // $OLLAMA_MODELS, else ~/.ollama/models, else /usr/share/ollama/.ollama/models
};
StorePaths default_store_paths();

struct StoreEntry {
  std::string name;           // "qwen2.5:0.5b", "host/ns/model:tag", "hf://owner/repo/file.gguf"
  std::string store;          // "owlet" or "ollama"
  std::string store_dir;
  std::string manifest_path;
  std::string blob_path;      // the GGUF
  std::string digest;         // "sha256:<hex>" of the GGUF layer
  uint64_t size = 0;          // all layers + config, as in `ollama list`
  int64_t modified = 0;       // manifest mtime, seconds since the epoch
};

struct GgufSummary {
  std::string architecture;   // general.architecture
  std::string name;           // general.name
  uint64_t n_params = 0;      // sum of tensor elements
  std::string quantization;   // from general.file_type, else the dominant tensor type ("Q4_0", "F16")
  uint64_t context_length = 0;
  bool has_chat_template = false;
  int64_t n_tensors = 0;
};

struct ModelDetails {
  StoreEntry entry;           // empty store for plain file paths
  std::string path;           // the GGUF file
  uint64_t file_size = 0;
  GgufSummary gguf;
  ModelProfile profile;       // the manifest's template, system, params and license layers
};

class ModelStore {
 public:
  explicit ModelStore(StorePaths paths = default_store_paths());
  const StorePaths& paths() const { return paths_; }

  // Any reference → a local GGUF path. Stores are searched owlet's first, then Ollama's;
  // the blob's sha256 is verified (result cached by file identity, see verify_blob).
  // Paths are returned as given (Model::load reports missing files).
  bool resolve(const ModelRef& ref, std::string* path, Error* err, StoreEntry* entry = nullptr) const;
  bool resolve(const std::string& text, std::string* path, Error* err, PathRule rule = PathRule::probe) const;

  // Models in both stores (owlet's first), sorted by name within each store.
  // Manifests that cannot be read, or hold no GGUF layer, are skipped with a line in *warnings.
  std::vector<StoreEntry> list(std::vector<std::string>* warnings = nullptr) const;

  bool show(const std::string& text, ModelDetails* out, Error* err, PathRule rule = PathRule::probe) const;

  // Removes a model from owlet's store, then every blob no remaining manifest references.
  // Refuses (forbidden, with a clear message) models that are only in Ollama's store;
  // not_found when neither store holds it.
  bool remove(const std::string& text, std::vector<std::string>* removed_files, Error* err,
              PathRule rule = PathRule::probe) const;

  // The image manifest of a stored model (a list's child), its layers in order.
  bool image_manifest(const StoreEntry& entry, Manifest* out, Error* err) const;

  // Where owlet's store keeps things (used by pull).
  std::string blob_path(const std::string& hex) const;
  std::string manifest_path(const OllamaName& name) const;
  static OllamaName hf_store_name(const HfRef& ref);

 private:
  StorePaths paths_;
};

// Checks that `path` hashes to `hex`. A successful check is remembered in
// <cache_dir>/verified (when cache_dir is non-empty) keyed by the file's device, inode,
// size, mtime and ctime (nanoseconds): any write, truncate, rename-over or touch changes
// at least one of those (ctime cannot be set back by users), so a model of several GB is
// hashed once, not on every load. Silent bit rot that leaves metadata alone is not caught.
bool verify_blob(const std::string& path, const std::string& hex, const std::string& cache_dir, Error* err);
// Records a file just hashed by the caller (pull hashes while downloading).
void remember_verified(const std::string& path, const std::string& hex, const std::string& cache_dir);

// Reads a regular file's GGUF header (a FIFO or device fails at once).
bool read_gguf_summary(const std::string& path, GgufSummary* out, Error* err);

// A GGUF header's key/values as one JSON object, text (Ollama's model_info):
// numbers, strings and booleans as they are, arrays as null (as Ollama shows
// them unless verbose), the chat template left out (it is /api/show's template).
bool read_gguf_metadata(const std::string& path, std::string* json_object, Error* err);

// For `owlet ask --model` and the server: a path, an Ollama name or an hf:// ref → a local GGUF
// path, using the default stores. False with a one-line reason in *err.
bool resolve_model(const std::string& ref, std::string* path, Error* err, PathRule rule = PathRule::probe);

// The name → path function for llm::ModelManagerParams::resolve. Names the
// operator configured (`trusted`: the config's model, draft and embedding model)
// resolve like the CLI, where an existing file is a path; every other name (those
// from API requests) by spelling alone, and a path among them is refused, so a
// request can neither load an arbitrary file nor learn whether one exists.
using ModelResolver = std::function<bool(const std::string& name, std::string* path, Error* err)>;
ModelResolver make_resolver(std::vector<std::string> trusted);

// "%"-escaping used for Hugging Face file names in manifest tags.
std::string hf_tag_escape(const std::string& s);
std::string hf_tag_unescape(const std::string& s);

}  // namespace owlet::models
