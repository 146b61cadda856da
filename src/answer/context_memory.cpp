#include "answer/context_memory.h"

#include <functional>
#include <unordered_set>

namespace owlet::answer {
namespace {

uint64_t hash_of(const std::string& s) { return std::hash<std::string>{}(s); }

// Every source of `block` (by URL) is in `have`.
bool covered(const BuiltContext& block, const std::unordered_set<std::string>& have) {
  for (const Source& s : block.sources)
    if (!have.count(s.url)) return false;
  return !block.sources.empty();
}

std::unordered_set<std::string> urls_of(const std::vector<Source>& sources) {
  std::unordered_set<std::string> out;
  for (const Source& s : sources) out.insert(s.url);
  return out;
}

}  // namespace

std::optional<BuiltContext> ContextMemory::find(const std::string& prefix, const Evidence& best) const {
  const uint64_t h = hash_of(prefix);
  std::lock_guard lk(mu_);
  for (const Entry& e : entries_)
    if (e.prefix_hash == h && holds(e.block, best)) return e.block;
  return std::nullopt;
}

void ContextMemory::remember(const std::string& prefix, const BuiltContext& block) {
  if (capacity_ == 0 || block.sources.empty()) return;
  const uint64_t h = hash_of(prefix);
  const std::unordered_set<std::string> urls = urls_of(block.sources);
  std::lock_guard lk(mu_);
  // An older block over a subset of these pages is superseded: the new one
  // starts with it (it extended it) or was built fresh for the same pages.
  for (auto it = entries_.begin(); it != entries_.end();)
    it = it->prefix_hash == h && covered(it->block, urls) ? entries_.erase(it) : std::next(it);
  entries_.push_front({h, block});
  while (entries_.size() > capacity_) entries_.pop_back();
}

size_t ContextMemory::size() const {
  std::lock_guard lk(mu_);
  return entries_.size();
}

}  // namespace owlet::answer
