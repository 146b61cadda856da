// Recently sent sources blocks, so that a question over the same pages extends
// the block the engine already holds in its KV cache instead of building a new
// one: the second prompt then starts with the first one's bytes (system prompt,
// sources so far) and only the new sentences and the question are evaluated.
//
// A block is remembered under the fixed part of its prompt (system prompt,
// history: what comes before the sources); it is offered again only to a prompt
// with the same fixed part, and only when it already holds the new question's
// own best evidence (best_evidence: the unit a fresh block would pick first):
// a follow-up over the same passage. Sharing a page is not enough — hub pages
// (lists, indexes) come back for many unrelated questions, and each of those
// gets its own sentences and sources. The block's other pages come along; they
// are in the KV already, so they cost no prefill. Small and LRU: the engine
// keeps a prompt's KV only until its slot serves other prompts.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "answer/context_builder.h"

namespace owlet::answer {

class ContextMemory {
 public:
  explicit ContextMemory(size_t capacity = 8) : capacity_(capacity) {}

  // The most recent block remembered under `prefix` that holds `best` (the new
  // question's best evidence); nullopt when none does.
  std::optional<BuiltContext> find(const std::string& prefix, const Evidence& best) const;

  // Remembers `block` under `prefix`, replacing the block it extends (if any).
  void remember(const std::string& prefix, const BuiltContext& block);

  size_t size() const;

 private:
  struct Entry {
    uint64_t prefix_hash = 0;
    BuiltContext block;
  };
  size_t capacity_;
  mutable std::mutex mu_;
  std::list<Entry> entries_;  // most recent first
};

}  // namespace owlet::answer
