#include "answer/sentence_scorer.h"

#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "answer/icu_regex.h"
#include "answer/terms.h"

namespace owlet::answer {

bool asks_for_number(std::string_view question) {
  static const IcuRegex re(
      R"(\b(how (many|much|long|old|far|big|large|tall|often)|when|what (year|decade|century|date|percentage|percent|age|time)|which year|in what year)\b|多少|几|哪一年|哪年|何时|什么时候|哪个世纪|百分之)");
  return re.find(question);
}

bool has_number(std::string_view sentence) {
  for (char c : sentence) {
    if (c >= '0' && c <= '9') return true;
  }
  static const IcuRegex cjk_numeral("[一二三四五六七八九十百千万亿两]");
  return cjk_numeral.find(sentence);
}

std::vector<double> score_sentences(std::string_view question, const std::vector<std::string>& sentences) {
  std::vector<double> scores(sentences.size(), 0.0);
  const std::vector<std::string> q = content_terms(question);
  if (q.empty() || sentences.empty()) return scores;
  const std::unordered_set<std::string> qset(q.begin(), q.end());

  // Which question terms each sentence holds, and in how many sentences each occurs.
  std::vector<std::vector<const std::string*>> held(sentences.size());
  std::unordered_map<std::string, int> df;
  for (size_t i = 0; i < sentences.size(); ++i) {
    for (const std::string& t : content_terms(sentences[i])) {
      auto it = qset.find(t);
      if (it == qset.end()) continue;
      held[i].push_back(&*it);
      ++df[t];
    }
  }
  // BM25-style IDF, floored so a term present everywhere still counts a little.
  const double n = static_cast<double>(sentences.size());
  auto idf = [&](const std::string& t) {
    auto it = df.find(t);
    const double d = it == df.end() ? 0.0 : it->second;
    return std::max(0.05, std::log(1.0 + (n - d + 0.5) / (d + 0.5)));
  };
  double total = 0;
  for (const std::string& t : q) total += idf(t);
  if (total <= 0) return scores;
  const bool number = asks_for_number(question);
  for (size_t i = 0; i < sentences.size(); ++i) {
    double s = 0;
    for (const std::string* t : held[i]) s += idf(*t);
    scores[i] = s / total;
    if (number && scores[i] > 0 && has_number(sentences[i])) scores[i] += kNumberBonus;
  }
  return scores;
}

}  // namespace owlet::answer
