#include "answer/terms.h"

#include <algorithm>
#include <set>
#include <unordered_set>

#include "common/search_terms.h"
#include "common/text.h"

namespace owlet::answer {

namespace {

constexpr size_t kStemLength = 6;

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Bigrams that only carry the shape of a Chinese question (what/how many/which/
// who/why/how) or pure function words. They would match every passage equally.
bool is_cjk_question_gram(const std::string& g) {
  static const std::unordered_set<std::string> kGrams = {
      "什么", "多少", "哪个", "哪些", "哪里", "哪一", "哪位", "哪年", "为什", "怎么", "如何", "是什",
      "么是", "是谁", "谁是", "是哪", "是多", "有多", "有哪", "有什", "的是", "是在", "在哪", "么时",
      "时候", "什么", "几个", "几年", "是否", "了什", "么样", "为何", "何时", "哪儿", "么的",
  };
  return kGrams.count(g) > 0;
}

}  // namespace

std::string fold_word(std::string_view word) {
  std::string w(word);
  for (char& c : w) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (ends_with(w, "'s")) w.resize(w.size() - 2);
  // Plurals first: cheap, safe, and the most common mismatch between a question
  // ("which countries") and its answer sentence ("the country").
  if (w.size() > 4 && ends_with(w, "ies")) {
    w.resize(w.size() - 3);
    w += 'y';
  } else if (w.size() > 4 && (ends_with(w, "ches") || ends_with(w, "shes") || ends_with(w, "sses") ||
                              ends_with(w, "xes"))) {
    w.resize(w.size() - 2);
  } else if (w.size() > 3 && ends_with(w, "s") && !ends_with(w, "ss") && !ends_with(w, "us") &&
             !ends_with(w, "is")) {
    w.resize(w.size() - 1);
  }
  // Verb endings, then a final "e", so "scored", "scoring" and "score" meet.
  if (w.size() > 5 && ends_with(w, "ing")) {
    w.resize(w.size() - 3);
  } else if (w.size() > 4 && ends_with(w, "ed")) {
    w.resize(w.size() - 2);
  }
  if (w.size() > 4 && ends_with(w, "e")) w.resize(w.size() - 1);
  // Truncation stemming: long ASCII words keep their first kStemLength letters, so
  // derivations meet ("registered"/"registration", "interceptions"/"intercepted").
  if (w.size() > kStemLength && std::all_of(w.begin(), w.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
    w.resize(kStemLength);
  }
  return w;
}

std::vector<std::string> content_terms(std::string_view text) {
  const SearchTerms t = search_terms(text);
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto add = [&](std::string term) {
    if (!term.empty() && seen.insert(term).second) out.push_back(std::move(term));
  };
  for (const auto& w : t.latin) add(fold_word(w));
  for (const auto& g : t.cjk) {
    if (!is_cjk_question_gram(g)) add(g);
  }
  for (const auto& c : t.cjk_prefix) add(c);
  return out;
}

std::vector<std::string> term_sequence(std::string_view text) {
  std::vector<std::string> out;
  std::string word;               // the Latin word being read
  std::vector<std::string> run;   // the CJK run being read, one string per character
  auto flush_word = [&] {
    if (!word.empty()) out.push_back(fold_word(word));
    word.clear();
  };
  auto flush_run = [&] {
    if (run.empty()) return;
    if (run.size() == 1) out.push_back(run[0]);
    for (size_t k = 0; k + 1 < run.size(); ++k) out.push_back(run[k] + run[k + 1]);
    out.emplace_back();
    run.clear();
  };
  size_t i = 0;
  while (i < text.size()) {
    const size_t start = i;
    const char32_t cp = owlet::utf8_next(text, i);
    const std::string_view piece = text.substr(start, i - start);
    if (owlet::is_cjk(cp)) {
      flush_word();
      run.emplace_back(piece);
    } else {
      flush_run();
      if (owlet::is_word_char(cp)) {
        word.append(piece);
      } else {
        flush_word();
      }
    }
  }
  flush_word();
  flush_run();
  return out;
}

}  // namespace owlet::answer
