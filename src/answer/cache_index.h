// Paraphrase lookup for the answer cache: "What's the capital of France?" and
// "what is the capital of france" are one question; "Why is Paris the capital
// of France?" and "Is Paris the capital of France?" are two. Kept in memory
// (the answer cache itself is in the knowledge base) and filled from it at
// start. Thread-safe.
//
// Two questions match only when their shapes (question_shape) are equal: the
// same question word (why ≠ whether ≠ when; what = which), the same number of
// negations, the same tense, and the same key words in the same order, after
// folding what does not change the question: case, punctuation, articles and
// other stop words, contractions ("what's", "isn't"), plural -s, politeness
// ("please", "can you tell me"). Everything else (a swapped name, a different
// number, "from X to Y" against "from Y to X") is another question. Measured
// by bench/answer/cache_eval.cpp (docs/BENCHMARKS.md).
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace owlet::answer {

struct QuestionShape {
  std::string qword;                 // what | why | when | where | who | how | how_many | ... | yesno | ""
  int negations = 0;                 // not, never, no, -n't, 不, 没 ...
  std::string tense;                 // "past " / "future " per verb that marks one, in order ("" = present)
  std::vector<std::string> content;  // key words, in order (Latin words folded, CJK runs minus particles)
  size_t weight() const;             // Latin words + CJK characters / 2
};

QuestionShape question_shape(std::string_view question);
// The shape as one string; "" when the question has too few key words to call
// two questions the same (fewer than 2).
std::string paraphrase_signature(std::string_view question);

class CacheIndex {
 public:
  // key = the cache's stored (normalized) question; tag = what must also match (the variant).
  void add(const std::string& key, const std::string& tag, int64_t expires_at);
  // The key of an unexpired entry with the same tag that `question` is a paraphrase of.
  std::optional<std::string> find(std::string_view question, const std::string& tag, int64_t now) const;
  void clear();
  size_t size() const;

 private:
  struct Entry {
    std::string key;
    int64_t expires_at;
  };
  static constexpr size_t kMaxEntries = 100000;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // tag + '\n' + signature -> entry
  std::deque<std::string> order_;                   // oldest first, for the bound
};

}  // namespace owlet::answer
