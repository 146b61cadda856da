#include "answer/cache_index.h"

#include <algorithm>

#include "common/search_terms.h"

namespace owlet::answer {
namespace {

bool is_number(const std::string& t) {
  return !t.empty() && std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::set<std::string> numbers_of(const std::set<std::string>& terms) {
  std::set<std::string> out;
  for (const auto& t : terms)
    if (is_number(t)) out.insert(t);
  return out;
}

}  // namespace

std::set<std::string> question_terms(std::string_view question) {
  SearchTerms t = search_terms(question);
  std::set<std::string> out;
  for (const auto& w : t.latin) out.insert(index_term(w));
  for (const auto& w : t.cjk) out.insert(w);
  for (const auto& w : t.cjk_prefix) out.insert(w);
  return out;
}

double jaccard(const std::set<std::string>& a, const std::set<std::string>& b) {
  if (a.empty() && b.empty()) return 0;
  size_t inter = 0;
  for (const auto& x : a) inter += b.count(x);
  return static_cast<double>(inter) / static_cast<double>(a.size() + b.size() - inter);
}

void CacheIndex::add(const std::string& key, const std::string& tag, int64_t expires_at) {
  Entry e{key, tag, question_terms(key), {}, expires_at};
  e.numbers = numbers_of(e.terms);
  if (e.terms.empty()) return;
  std::lock_guard lk(mu_);
  auto same = std::find_if(entries_.begin(), entries_.end(),
                           [&](const Entry& x) { return x.key == key && x.tag == tag; });
  if (same != entries_.end()) {
    *same = std::move(e);
    return;
  }
  if (entries_.size() >= kMaxEntries) entries_.erase(entries_.begin());  // oldest first out
  entries_.push_back(std::move(e));
}

std::optional<std::string> CacheIndex::find(std::string_view question, const std::string& tag, int64_t now) const {
  std::set<std::string> terms = question_terms(question);
  if (terms.size() < 2) return std::nullopt;  // one word is too little to call two questions the same
  std::set<std::string> numbers = numbers_of(terms);
  std::lock_guard lk(mu_);
  const Entry* best = nullptr;
  double best_j = 0;
  for (const auto& e : entries_) {
    if (e.tag != tag || (e.expires_at != 0 && e.expires_at <= now) || e.numbers != numbers) continue;
    double j = jaccard(terms, e.terms);
    if (j > best_j) {
      best_j = j;
      best = &e;
    }
  }
  if (!best || best_j < min_jaccard_) return std::nullopt;
  return best->key;
}

size_t CacheIndex::size() const {
  std::lock_guard lk(mu_);
  return entries_.size();
}

}  // namespace owlet::answer
