// What a model file is, for caches that must not mix models: a GGUF in a store
// (a blob named by its content) is its digest; a loose file is its path, size
// and modification time, so replacing or editing it makes it a new model.
//
//   std::string id;
//   Error err;
//   if (models::model_identity("/models/qwen.gguf", &id, &err)) ...   // "file:/models/qwen.gguf:986000000:1733…"
#pragma once

#include <cstdint>
#include <string>

#include "common/error.h"

namespace owlet::models {

// "sha256:<hex>" for a store blob (blobs/sha256-<hex>), else
// "file:<absolute path>:<size>:<mtime in ns>". not_found / io when the file
// cannot be stat'ed.
bool model_identity(const std::string& path, std::string* identity, Error* err);

// The digest of a store blob path ("sha256:<hex>"), "" for any other path.
std::string blob_digest(const std::string& path);

}  // namespace owlet::models
