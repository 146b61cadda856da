#include "answer/citations.h"

#include <algorithm>
#include <set>

namespace owlet::answer {

namespace {

// Bracket pairs that open and close a marker: ASCII, full-width, and the
// lenticular brackets Chinese models like to cite with.
struct Bracket {
  std::string_view open, close;
};
constexpr Bracket kBrackets[] = {{"[", "]"}, {"\uFF3B", "\uFF3D"}, {"\u3010", "\u3011"}};

// Separators allowed between numbers: ", " ",", ";", full-width comma, enumeration comma.
constexpr std::string_view kSeparators[] = {",", " ", ";", "\uFF0C", "\u3001"};

constexpr int kMaxDigits = 4;      // "[2024]" is still a marker; "[123456]" is text
constexpr size_t kMaxMarker = 40;  // bytes; longer bracketed runs are text

const Bracket* opener_at(std::string_view s, size_t i) {
  for (const Bracket& b : kBrackets) {
    if (s.compare(i, b.open.size(), b.open) == 0) return &b;
  }
  return nullptr;
}

enum class Parse { marker, not_marker, incomplete };

// Parses a marker starting at s[i] (an opener). On `marker`, *len is its length
// in bytes and *numbers the numbers in it.
Parse parse_marker(std::string_view s, size_t i, size_t* len, std::vector<int>* numbers) {
  const Bracket* b = opener_at(s, i);
  if (!b) return Parse::not_marker;
  numbers->clear();
  size_t j = i + b->open.size();
  int digits = 0, value = 0;
  while (j < s.size()) {
    if (j - i > kMaxMarker) return Parse::not_marker;
    const char c = s[j];
    if (c >= '0' && c <= '9') {
      if (++digits > kMaxDigits) return Parse::not_marker;
      value = value * 10 + (c - '0');
      ++j;
      continue;
    }
    if (digits > 0) numbers->push_back(value);
    digits = 0, value = 0;
    if (s.compare(j, b->close.size(), b->close) == 0) {
      if (numbers->empty()) return Parse::not_marker;
      *len = j + b->close.size() - i;
      return Parse::marker;
    }
    size_t sep = 0;
    for (std::string_view p : kSeparators) {
      if (s.compare(j, p.size(), p) == 0) sep = p.size();
    }
    // A partial UTF-8 sequence at the end may still become a separator or a close.
    if (sep == 0 && static_cast<unsigned char>(c) >= 0x80 && s.size() - j < 3) return Parse::incomplete;
    if (sep == 0) return Parse::not_marker;
    j += sep;
  }
  return Parse::incomplete;
}

void strip_trailing_spaces(std::string* out) {
  while (!out->empty() && out->back() == ' ') out->pop_back();
}

// Rewrites complete text: valid numbers kept (the marker verbatim when all are
// valid, else rebuilt from the valid ones), invalid ones removed and counted.
std::string rewrite(std::string_view s, int n_sources, int* removed, std::set<int>* cited) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    size_t len = 0;
    std::vector<int> numbers;
    if (!opener_at(s, i) || parse_marker(s, i, &len, &numbers) != Parse::marker) {
      out += s[i++];
      continue;
    }
    std::vector<int> valid;
    for (int v : numbers) {
      if (v >= 1 && v <= n_sources) {
        valid.push_back(v);
        cited->insert(v);
      } else {
        ++*removed;
      }
    }
    const Bracket* b = opener_at(s, i);
    if (valid.size() == numbers.size()) {
      out.append(s.substr(i, len));
    } else if (!valid.empty()) {
      out.append(b->open);
      for (size_t k = 0; k < valid.size(); ++k) out += (k ? ", " : "") + std::to_string(valid[k]);
      out.append(b->close);
    } else {
      strip_trailing_spaces(&out);  // "fact [9]." -> "fact."
    }
    i += len;
  }
  return out;
}

// Where the text that may still change begins: the last opener that could start
// an unfinished marker, and any spaces before it or at the very end (a marker
// removed later takes its leading spaces with it).
size_t safe_prefix(std::string_view s) {
  size_t cut = s.size();
  const size_t from = s.size() > kMaxMarker ? s.size() - kMaxMarker : 0;
  for (size_t i = from; i < s.size(); ++i) {
    size_t len = 0;
    std::vector<int> numbers;
    if (opener_at(s, i) && parse_marker(s, i, &len, &numbers) == Parse::incomplete) {
      cut = i;
      break;
    }
  }
  // A dangling lead byte of a multi-byte opener ("【" arrives in pieces).
  if (cut == s.size()) {
    for (size_t back = 1; back <= 2 && back <= s.size(); ++back) {
      const std::string_view tail = s.substr(s.size() - back);
      for (const Bracket& b : kBrackets) {
        if (b.open.size() > tail.size() && b.open.compare(0, tail.size(), tail) == 0) cut = s.size() - back;
      }
    }
  }
  while (cut > 0 && s[cut - 1] == ' ') --cut;
  return cut;
}

}  // namespace

CitationCheck check_citations(std::string_view answer, int n_sources) {
  CitationCheck out;
  std::set<int> cited;
  out.text = rewrite(answer, n_sources, &out.removed, &cited);
  out.cited.assign(cited.begin(), cited.end());
  return out;
}

std::string CitationFilter::feed(std::string_view piece) {
  held_.append(piece);
  const size_t cut = safe_prefix(held_);
  if (cut == 0) return "";
  std::set<int> cited(cited_.begin(), cited_.end());
  std::string out = rewrite(std::string_view(held_).substr(0, cut), n_sources_, &removed_, &cited);
  // A marker removed at the front of `held_` may have left trailing spaces of the
  // previous emission; those are already out, which only costs a double space.
  held_.erase(0, cut);
  cited_.assign(cited.begin(), cited.end());
  return out;
}

std::string CitationFilter::finish() {
  std::set<int> cited(cited_.begin(), cited_.end());
  std::string out = rewrite(held_, n_sources_, &removed_, &cited);
  held_.clear();
  cited_.assign(cited.begin(), cited.end());
  return out;
}

}  // namespace owlet::answer
