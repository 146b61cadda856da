// Replication support: how several knowledge bases (replicas) converge on the
// same documents through an external, ordered log (owlet's cluster uses a Redis
// Stream) without kb knowing anything about that log.
//
// Journal (KbOptions::journal_changes): every local add, replace and remove
// writes a row in the same SQLite transaction as the change itself. A publisher
// reads the rows with pending_changes(), appends them to the log, then
// ack_changes(). A crash between the commit and the publish loses nothing: the
// rows stay until acknowledged, and publishing twice is harmless because
// applying is idempotent (by content hash).
//
// Replicated writes: KnowledgeBase::apply() and apply_remove() store a change
// read from the log. They are not journaled (the change is already in the log),
// and they record the log position in the same transaction as the change, so a
// replica that crashes resumes right after the last change it holds.
#pragma once

#include <cstdint>
#include <string>

#include "kb/document.h"

namespace owlet::kb {

struct Change {
  enum class Op { upsert, remove };
  int64_t seq = 0;           // journal order, local to this knowledge base
  Op op = Op::upsert;
  Document doc;              // upsert: the document as stored now, text included; remove: doc.source only
  std::string content_hash;  // upsert: XXH3-128 of doc.text, hex
};

const char* to_string(Change::Op op);

// A place in an external log: which log (e.g. the stream's key) and where.
struct LogPosition {
  std::string log;
  std::string position;
};

}  // namespace owlet::kb
