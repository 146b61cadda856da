// Near-duplicate lookup for the answer cache: "price of gold today?" and
// "today's gold price" share their content terms though not their text. Kept
// in memory (the answer cache itself is in the knowledge base) and filled from
// it at start. Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace owlet::answer {

// Content terms of a question: Latin words minus stop words, CJK bigrams, numbers.
std::set<std::string> question_terms(std::string_view question);
double jaccard(const std::set<std::string>& a, const std::set<std::string>& b);

class CacheIndex {
 public:
  explicit CacheIndex(double min_jaccard = 0.8) : min_jaccard_(min_jaccard) {}
  // key = the cache's stored (normalized) question; tag = what must also match (the engine).
  void add(const std::string& key, const std::string& tag, int64_t expires_at);
  // The key of the most similar unexpired entry with the same tag, when similar enough.
  // Numbers must agree exactly: "2024 winner" never matches "2025 winner".
  std::optional<std::string> find(std::string_view question, const std::string& tag, int64_t now) const;
  size_t size() const;

 private:
  struct Entry {
    std::string key, tag;
    std::set<std::string> terms, numbers;
    int64_t expires_at;
  };
  static constexpr size_t kMaxEntries = 20000;  // a linear scan stays well under a millisecond
  double min_jaccard_;
  mutable std::mutex mu_;
  std::vector<Entry> entries_;
};

}  // namespace owlet::answer
