// Citation markers in generated answers: [n] (also [n, m] and [n][m]) must point
// at a numbered source; markers that point at none are removed and counted.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace owlet::answer {

struct CitationCheck {
  std::string text;        // the answer with dangling markers removed
  int removed = 0;         // markers (single numbers) removed
  std::vector<int> cited;  // valid source numbers cited, ascending, unique
};

// n_sources = how many sources were numbered (valid markers are 1..n_sources).
CitationCheck check_citations(std::string_view answer, int n_sources);

// The same for a stream: feed pieces as they come, emit what is safe to show.
// A piece that might be the start of a marker ("[", "[1", "[12,") is held back
// until it is complete or clearly not a marker. Spaces at the end of the text so
// far are held too (one piece at most): a dangling marker that follows takes its
// leading spaces with it ("fact [9]." -> "fact."), as in check_citations.
class CitationFilter {
 public:
  explicit CitationFilter(int n_sources) : n_sources_(n_sources) {}
  std::string feed(std::string_view piece);  // text safe to emit now
  std::string finish();                      // whatever is still held back, checked
  int removed() const { return removed_; }
  const std::vector<int>& cited() const { return cited_; }  // ascending, unique

 private:
  int n_sources_;
  std::string held_;
  int removed_ = 0;
  std::vector<int> cited_;
};

}  // namespace owlet::answer
