// Reading files of the model store without trusting what they are. A FIFO, a
// device or a directory where a manifest or blob should be must fail at once:
// open(2) on a FIFO blocks until a writer appears, so a request that reached one
// would hang forever (and hold a model-loading slot with it).
#pragma once

#include <cstdio>
#include <string>

#include "common/error.h"

namespace owlet::models {

// Opens `path` for reading when it is a regular file (symlinks followed);
// null with ErrorKind::not_found / io / unsupported otherwise. Never blocks.
FILE* open_regular_file(const std::string& path, Error* err);

// The whole file when it is regular and at most `limit` bytes; too_large past it.
bool read_regular_file(const std::string& path, size_t limit, std::string* out, Error* err);

}  // namespace owlet::models
