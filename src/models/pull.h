// `owlet pull`: downloads a model into owlet's store (same layout as Ollama's).
//
//   Ollama registry:  GET {registry}/v2/{namespace}/{model}/manifests/{tag}
//                       (Accept: application/vnd.docker.distribution.manifest.v2+json)
//                     GET {registry}/v2/{namespace}/{model}/blobs/sha256:<hex>   (redirects followed)
//   Hugging Face:     GET {endpoint}/{owner}/{repo}/resolve/{revision}/{file}
//
// Each blob downloads to <store>/blobs/sha256-<hex>-partial, resumes with an HTTP Range
// request after an interruption (within this call, up to max_retries times, and in a later
// call), is sha256-verified, then renamed into place. The manifest is written last and
// atomically, so a half-pulled model is never listed. A blob that fails verification is
// deleted and the pull fails; nothing half-written is left. A manifest list (several
// runner-specific models under one tag) is pulled as its llama.cpp child.
//
// Every request — manifest, token realm, blob, and each redirect — goes through the
// SSRF guard of the web module (registry_http.h): private addresses are reachable only
// when `ssrf` allows them, or when they are the registry / Hugging Face endpoint the
// caller set explicitly (the user's own mirror), never because a name, a registry's
// answer or a DNS lookup pointed there.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "common/error.h"
#include "models/model_store.h"
#include "web/ssrf_guard.h"

namespace owlet::models {

// completed and total bytes over all blobs of the model, and the recent download rate.
using PullProgressFn = std::function<void(uint64_t completed, uint64_t total, double bytes_per_sec)>;

struct PullOptions {
  std::string store_dir;      // owlet's store; default_store_paths().owlet when empty
  std::string registry;       // Ollama registry base URL; default https://<host of the name>
  std::string hf_endpoint;    // default $HF_ENDPOINT, else https://huggingface.co
  std::string hf_token;       // default $HF_TOKEN (sent as a Bearer token to the endpoint only)
  bool insecure = false;      // allow plain http:// and skip TLS certificate checks
  web::SsrfPolicy ssrf;       // private addresses/hosts that may be reached (config allow_private)
  int max_retries = 3;        // resumed attempts per blob after a dropped connection
  int retry_delay_ms = 500;
  PullProgressFn progress;    // called at most ~10 times a second, and once at the end
  std::function<void(const std::string&)> status;  // one line per step ("pulling manifest", …)
  const std::atomic<bool>* cancel = nullptr;       // set to stop; the partial download stays for a resume
};

struct PullResult {
  Error error;                // kind + one line; kind cancelled when `cancel` stopped it
  bool ok() const { return error.ok(); }
  std::string name;           // display name of what was pulled
  std::string path;           // the GGUF blob in owlet's store
  std::string digest;         // "sha256:<hex>" of the GGUF
  uint64_t total_bytes = 0;   // all blobs of the model
  uint64_t downloaded_bytes = 0;  // bytes received over the network in this call
  int resumed = 0;            // number of Range-resumed requests
  int skipped_blobs = 0;      // blobs already present (verified) in the store
};

PullResult pull_model(const std::string& ref, const PullOptions& options);

}  // namespace owlet::models
