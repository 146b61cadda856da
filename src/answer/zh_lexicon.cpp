#include "answer/zh_lexicon.h"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "common/text.h"

namespace owlet::answer {
namespace {

struct Entry {
  const char* zh;
  const char* en;  // one or more concept words, space-separated
};

const Entry kLexicon[] = {
#include "answer/zh_lexicon.inc"
};

struct Tables {
  std::unordered_map<std::string, std::vector<std::string>> zh;  // Chinese word -> concept words
  std::unordered_set<std::string> concepts;
  size_t longest = 0;  // bytes of the longest Chinese entry
};

const Tables& tables() {
  static const Tables t = [] {
    Tables t;
    for (const Entry& e : kLexicon) {
      std::vector<std::string> words;
      std::string w;
      for (const char* p = e.en;; ++p) {
        if (*p == ' ' || *p == '\0') {
          if (!w.empty()) words.push_back(w), t.concepts.insert(w);
          w.clear();
          if (*p == '\0') break;
        } else {
          w += *p;
        }
      }
      std::string key = e.zh;
      t.longest = std::max(t.longest, key.size());
      auto& slot = t.zh[key];
      for (auto& x : words)
        if (std::find(slot.begin(), slot.end(), x) == slot.end()) slot.push_back(x);
    }
    return t;
  }();
  return t;
}

}  // namespace

std::vector<std::string> zh_concepts(std::string_view run) {
  const Tables& t = tables();
  std::vector<std::string> out;
  size_t i = 0;
  while (i < run.size()) {
    // Longest match first; no match skips one character.
    size_t best = 0;
    const std::vector<std::string>* words = nullptr;
    size_t end = i;
    while (end < run.size()) {
      end += utf8_seq_len(static_cast<unsigned char>(run[end]));
      if (end - i > t.longest) break;
      auto it = t.zh.find(std::string(run.substr(i, end - i)));
      if (it != t.zh.end()) best = end - i, words = &it->second;
    }
    if (words) {
      out.insert(out.end(), words->begin(), words->end());
      i += best;
    } else {
      i += utf8_seq_len(static_cast<unsigned char>(run[i]));
    }
  }
  return out;
}

bool is_concept_word(std::string_view word) {
  // Numbers read the same in both languages ("2022 年").
  if (!word.empty() && std::all_of(word.begin(), word.end(), [](char c) { return c >= '0' && c <= '9'; })) return true;
  return tables().concepts.count(std::string(word)) > 0;
}

size_t zh_lexicon_size() { return std::size(kLexicon); }

}  // namespace owlet::answer
