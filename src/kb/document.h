// What the knowledge base stores: documents in, document metadata out.
#pragma once

#include "common/error.h"

#include <cstdint>
#include <string>

namespace owlet::kb {

struct Document {
  std::string source;               // URL or absolute path: the document's identity
  std::string title;
  std::string text;                 // plain text, UTF-8 (ill-formed bytes become U+FFFD)
  std::string language;             // BCP-47-ish ("en", "zh"); empty = detect
  std::string source_kind = "file"; // "file", "web", ... free-form, filterable
  double trust = 0.5;               // 0..1, from source governance
  int64_t fetched_at = 0;           // unix seconds; 0 = now
  int64_t modified_at = 0;          // unix seconds; 0 = unknown
};

struct DocumentInfo {
  int64_t id = 0;
  std::string source;
  std::string title;
  std::string language;
  std::string source_kind;
  double trust = 0;
  int64_t fetched_at = 0;
  int64_t modified_at = 0;
  std::string content_hash;  // XXH3-128 of the text, hex
  int64_t bytes = 0;         // text size
  int64_t chunks = 0;
};

enum class AddStatus {
  kAdded,      // new document stored
  kReplaced,   // same source, new content: chunks replaced in one transaction
  kUnchanged,  // same source, same content hash: nothing written
  kDuplicate,  // another source holds the same or near-same text: not stored
  kError,
};

const char* to_string(AddStatus s);

struct AddResult {
  AddStatus status = AddStatus::kError;
  int64_t document_id = 0;   // the stored document (0 when not stored)
  int64_t duplicate_of = 0;  // for kDuplicate: the document already holding the text
  int chunks = 0;            // chunks written
  int64_t dropped_answers = 0;  // cached answers that cited the replaced text, or found nothing
  Error error;               // for kError
  bool ok() const { return status != AddStatus::kError; }
};

}  // namespace owlet::kb
