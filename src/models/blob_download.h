// One blob of a pull (internal to src/models): downloaded into
// <store>/blobs/<name>-partial, resumed with an HTTP Range request after an
// interruption (within the call, up to PullOptions::max_retries times, and in a
// later call), sha256-verified, then renamed into place. One downloader per
// partial file (flock), so two pulls of one blob never interleave writes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "models/pull.h"
#include "models/pull_progress.h"
#include "models/registry_http.h"

namespace owlet::models {

struct BlobDownload {
  std::string url;
  std::string hex;        // expected sha256; empty = unknown (computed, then named by it)
  uint64_t size = 0;      // expected size; 0 = unknown
  std::string partial;    // <store>/blobs/...-partial
  std::string blobs_dir;
  std::vector<std::string> headers;
};

struct BlobOutcome {
  Error error;
  bool corrupt = false;   // digest or size mismatch: nothing kept
  std::string hex;        // the verified digest
  std::string final_path;
  bool ok() const { return error.ok(); }
};

// What every blob of one pull shares.
struct PullContext {
  const PullOptions& options;
  GuardPolicy policy;
  PullProgress& progress;
  PullResult& result;
};

BlobOutcome download_blob(const BlobDownload& d, PullContext& ctx);

}  // namespace owlet::models
