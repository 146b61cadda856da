#include "llm/model.h"

#include <ggml-backend.h>
#include <llama.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "llm/backend.h"
#include "llm/rpc.h"

namespace owlet::llm {
namespace {

// llama.cpp's error log is several lines; the most specific part is the text
// after "error loading model: " (or the first error line otherwise).
std::string summarize_llama_errors(const std::string& log) {
  static const std::string kMarker = "error loading model: ";
  size_t p = log.find(kMarker);
  std::string line;
  if (p != std::string::npos) {
    line = log.substr(p + kMarker.size());
  } else {
    line = log;
    size_t colon = line.find(": ");  // drop the "function_name: " prefix
    if (colon != std::string::npos && colon < 48) line = line.substr(colon + 2);
  }
  size_t nl = line.find('\n');
  if (nl != std::string::npos) line.resize(nl);
  return line.empty() ? "llama.cpp could not load it" : line;
}

// Checks that llama.cpp would report less clearly (or not at all).
bool precheck_file(const std::string& path, Error* err) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (path.empty()) return fail(err, ErrorKind::bad_request, "no model given");
  // c_str() would cut a path at a NUL: another file than the one named.
  if (path.find('\0') != std::string::npos) return fail(err, ErrorKind::bad_request, "model path contains a NUL byte");
  if (!fs::exists(path, ec)) return fail(err, ErrorKind::not_found, "model file not found: " + path);
  if (fs::is_directory(path, ec))
    return fail(err, ErrorKind::io, "model path is a directory, not a GGUF file: " + path);
  // A FIFO or device would block the open (and the request with it) forever.
  if (!fs::is_regular_file(path, ec)) return fail(err, ErrorKind::io, "model path is not a regular file: " + path);
  std::ifstream f(path, std::ios::binary);
  if (!f) return fail(err, ErrorKind::io, "cannot open model file (permission denied?): " + path);
  auto size = fs::file_size(path, ec);
  if (ec || size == 0) return fail(err, ErrorKind::parse, "model file is empty: " + path);
  char magic[4] = {0, 0, 0, 0};
  f.read(magic, 4);
  if (f.gcount() < 4 || std::string(magic, 4) != "GGUF")
    return fail(err, ErrorKind::parse, "not a GGUF model file (bad magic bytes): " + path);
  return true;
}

// The devices a model's offloaded layers may go to: the RPC servers it names,
// then this machine's discrete GPUs (integrated ones where there is none) —
// llama.cpp's own choice, except that its default would also take every RPC
// server another model of this process registered. Ends with a nullptr.
std::vector<ggml_backend_dev_t> model_devices(const std::string& rpc_servers) {
  std::vector<ggml_backend_dev_t> out = rpc_devices(rpc_servers);
  std::vector<ggml_backend_dev_t> gpus, igpus;
  for (size_t i = 0; i < ggml_backend_dev_count(); ++i) {
    ggml_backend_dev_t dev = ggml_backend_dev_get(i);
    if (std::string(ggml_backend_reg_name(ggml_backend_dev_backend_reg(dev))) == "RPC") continue;
    const auto type = ggml_backend_dev_type(dev);
    if (type == GGML_BACKEND_DEVICE_TYPE_GPU) gpus.push_back(dev);
    if (type == GGML_BACKEND_DEVICE_TYPE_IGPU && (igpus.empty() || ggml_backend_dev_backend_reg(dev) == ggml_backend_dev_backend_reg(igpus.back())))
      igpus.push_back(dev);
  }
  out.insert(out.end(), gpus.begin(), gpus.end());
  if (gpus.empty()) out.insert(out.end(), igpus.begin(), igpus.end());
  out.push_back(nullptr);
  return out;
}

}  // namespace

std::unique_ptr<Model> Model::load(const ModelParams& params, Error* err) {
  if (!precheck_file(params.path, err)) return nullptr;
  backend_init();
  take_llama_errors();

  llama_model_params mp = llama_model_default_params();
  mp.n_gpu_layers = params.n_gpu_layers;
  if (!params.rpc_servers.empty()) {
    if (!add_rpc_servers(params.rpc_servers, err)) return nullptr;
    if (mp.n_gpu_layers == 0) mp.n_gpu_layers = -1;  // what the servers are for
  }
  std::vector<ggml_backend_dev_t> devices = model_devices(params.rpc_servers);
  mp.devices = devices.data();
  if (!params.use_mmap) mp.load_mode = LLAMA_LOAD_MODE_NONE;  // default is auto (mmap where it helps)
  mp.vocab_only = params.vocab_only;
  llama_model* raw = llama_model_load_from_file(params.path.c_str(), mp);
  if (!raw) {
    fail(err, ErrorKind::parse, "cannot load model " + params.path + ": " + summarize_llama_errors(take_llama_errors()));
    return nullptr;
  }

  std::unique_ptr<Model> m(new Model());
  m->model_ = raw;
  m->path_ = params.path;
  ModelInfo& i = m->info_;
  i.architecture = m->meta("general.architecture");
  i.name = m->meta("general.name");
  char desc[256];
  llama_model_desc(raw, desc, sizeof desc);
  i.description = desc;
  i.n_params = llama_model_n_params(raw);
  i.size_bytes = llama_model_size(raw);
  i.n_ctx_train = llama_model_n_ctx_train(raw);
  i.n_embd = llama_model_n_embd(raw);
  i.n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(raw));
  i.has_chat_template = llama_model_chat_template(raw, nullptr) != nullptr;
  i.is_embedding = llama_model_has_encoder(raw) && !llama_model_has_decoder(raw);
  if (!i.is_embedding) {
    // BERT-like models are decoder-less in llama.cpp's sense but report has_encoder false;
    // a pooling type in the metadata is the reliable sign of an embedding model.
    i.is_embedding = !m->meta(i.architecture + ".pooling_type").empty();
  }
  return m;
}

Model::~Model() {
  if (model_) llama_model_free(model_);
}

const llama_vocab* Model::vocab() const { return llama_model_get_vocab(model_); }

std::string Model::meta(const std::string& key) const {
  int32_t n = llama_model_meta_val_str(model_, key.c_str(), nullptr, 0);
  if (n < 0) return "";
  std::string buf(static_cast<size_t>(n) + 1, '\0');
  llama_model_meta_val_str(model_, key.c_str(), buf.data(), buf.size());
  buf.resize(static_cast<size_t>(n));
  return buf;
}

}  // namespace owlet::llm
