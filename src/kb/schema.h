// The hot tier's SQLite schema and its forward migrations.
//
// meta('schema_version') holds the version; all pending steps and the version bump
// run in one IMMEDIATE transaction, so a crash leaves the database at its old
// version or at the new one, never between. Versions only move forward: a database newer than this build is
// refused rather than guessed at.
#pragma once

#include "common/error.h"

#include <sqlite3.h>

#include <string>

namespace owlet::kb {

inline constexpr int kSchemaVersion = 6;

// Current version of an open database (0 for an empty one), or -1 on error.
int schema_version(sqlite3* db, Error* err);

// Migrates up to `target` (default: the latest). Exposed so tests can build a
// database at an older version and check the upgrade path.
bool migrate_schema(sqlite3* db, Error* err, int target = kSchemaVersion);

}  // namespace owlet::kb
