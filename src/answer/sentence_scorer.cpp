#include "answer/sentence_scorer.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "answer/icu_regex.h"
#include "answer/terms.h"

namespace owlet::answer {

namespace {

// Words that only say a quantity is asked for ("how many", "how much"): as terms
// they would reward the rare sentence that happens to say "many".
bool is_question_shape_word(const std::string& term) { return term == "many" || term == "much"; }

// A term's matches in one sentence: which question terms it holds and where.
struct Match {
  std::unordered_map<const std::string*, std::vector<int>> at;  // question term -> token positions
};

// Question terms, their pairs (adjacent in the question) and the expected answer.
struct Question {
  Question() = default;
  Question(const Question&) = delete;  // order and pairs point into terms
  Question& operator=(const Question&) = delete;
  std::unordered_set<std::string> terms;
  std::vector<const std::string*> order;                            // unique, in question order
  std::vector<std::pair<const std::string*, const std::string*>> pairs;
  AnswerType type = AnswerType::kOther;
  std::set<std::string> candidates;  // number/date strings the question itself contains
};

const std::string* lookup(const Question& q, const std::string& token) {
  auto it = q.terms.find(token);
  return it == q.terms.end() ? nullptr : &*it;
}

// A CJK bigram also matches a question's lone character at its start (prefix).
const std::string* match_token(const Question& q, const std::string& token) {
  if (const std::string* t = lookup(q, token)) return t;
  const unsigned char lead = token.empty() ? 0 : static_cast<unsigned char>(token[0]);
  if (lead < 0xE0) return nullptr;  // CJK characters are 3- or 4-byte sequences
  const size_t len = lead >= 0xF0 ? 4 : 3;
  return token.size() > len ? lookup(q, token.substr(0, len)) : nullptr;
}

Match match_sentence(const Question& q, std::string_view sentence) {
  Match m;
  const std::vector<std::string> seq = term_sequence(sentence);
  for (size_t p = 0; p < seq.size(); ++p) {
    if (const std::string* t = match_token(q, seq[p])) m.at[t].push_back(static_cast<int>(p));
  }
  return m;
}

bool pair_present(const Match& m, const std::string* a, const std::string* b) {
  auto ia = m.at.find(a), ib = m.at.find(b);
  if (ia == m.at.end() || ib == m.at.end()) return false;
  for (int pa : ia->second) {
    for (int pb : ib->second) {
      if (pb > pa && pb - pa <= 2) return true;
    }
  }
  return false;
}

// Numbers, years and Chinese counted quantities: the strings an answer of type
// number or date is made of.
const IcuRegex& number_re() {
  static const IcuRegex re(
      R"(\b\d[\d,.]*\b|\b(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|)"
      R"(sixty|seventy|eighty|ninety|hundreds?|thousands?|millions?|billions?|dozens?|half|percent)\b|)"
      R"([0-9０-９]+|[零〇一二两三四五六七八九十百千万亿]+\s*[次个名位人分秒岁倍种场届座项条家所件只支年月日天周里米吨元%％])");
  return re;
}

const IcuRegex& date_re() {
  static const IcuRegex re(
      R"(\b1\d{3}s?\b|\b20\d{2}s?\b|\b(january|february|march|april|june|july|august|september|october|)"
      R"(november|december|century|centuries|decade)\b|[0-9０-９]+\s*[年月日]|世纪|年代|公元)");
  return re;
}

std::set<std::string> matches_of(const IcuRegex& re, std::string_view text) {
  std::set<std::string> out;
  for (const auto& m : re.find_all(text)) out.insert(m[0]);
  return out;
}

// True when `sentence` holds a match of `re` that the question does not.
bool has_new_match(const IcuRegex& re, std::string_view sentence, const std::set<std::string>& in_question) {
  for (const auto& m : re.find_all(sentence)) {
    if (!in_question.count(m[0])) return true;
  }
  return false;
}

// A capitalized Latin word past the sentence's first word that is not a question
// term: a cheap stand-in for "a name the question does not already give".
bool has_new_name(const Question& q, std::string_view sentence) {
  bool first = true;
  std::string word;
  auto check = [&]() {
    const bool name = !first && !word.empty() && word[0] >= 'A' && word[0] <= 'Z' && !lookup(q, fold_word(word));
    first = first && word.empty();
    word.clear();
    return name;
  };
  for (char c : sentence) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-') {
      word += c;
    } else if (check()) {
      return true;
    }
  }
  return check();
}

// Bonus for holding a candidate of the asked-for type.
double type_bonus(const Question& q, std::string_view sentence, const ScoreOptions& o) {
  switch (q.type) {
    case AnswerType::kDate:
      if (has_new_match(date_re(), sentence, q.candidates)) return o.type_bonus;
      return has_new_match(number_re(), sentence, q.candidates) ? o.weak_type_bonus : 0;
    case AnswerType::kNumber:
      return has_new_match(number_re(), sentence, q.candidates) ? o.type_bonus : 0;
    case AnswerType::kPerson:
    case AnswerType::kPlace:
      return has_new_name(q, sentence) ? o.weak_type_bonus : 0;
    case AnswerType::kOther:
      break;
  }
  return 0;
}

// Fills `q` in place: its order and pairs point into its own term set.
void read_question(std::string_view text, Question& q) {
  for (std::string& t : content_terms(text)) {
    if (!is_question_shape_word(t)) q.terms.insert(std::move(t));
  }
  std::unordered_set<const std::string*> seen;
  const std::vector<std::string> seq = term_sequence(text);
  for (size_t i = 0; i < seq.size(); ++i) {
    const std::string* a = lookup(q, seq[i]);
    if (!a) continue;
    if (seen.insert(a).second) q.order.push_back(a);
    for (size_t j = i + 1; j < seq.size() && j <= i + 2 && !seq[j].empty(); ++j) {
      const std::string* b = lookup(q, seq[j]);
      if (b && b != a) q.pairs.emplace_back(a, b);
    }
  }
  q.type = answer_type(text);
  if (q.type == AnswerType::kDate || q.type == AnswerType::kNumber) {
    q.candidates = matches_of(number_re(), text);
    for (const auto& d : matches_of(date_re(), text)) q.candidates.insert(d);
  }
}

}  // namespace

AnswerType answer_type(std::string_view question) {
  static const IcuRegex number(
      R"(\bhow (many|much|long|old|far|big|large|tall|often|high|wide|deep|heavy|fast)\b|)"
      R"(\bwhat (percentage|percent|proportion|number|amount|size|fraction|population|age|temperature)\b|)"
      R"(多少|几(?!乎)|多大|多长|多久|多高|多远|多重|百分之|比例)");
  static const IcuRegex date(
      R"(\b(when|what (year|decade|century|date|day|month|era|time period)|which (year|decade|century|date|day|month)|)"
      R"(in what (year|decade|century|month))\b|何时|什么时候|哪一年|哪年|哪个世纪|哪一天|哪天|几月|何年|什么年代|哪个年代)");
  static const IcuRegex person(R"(\b(who|whom|whose)\b|谁|哪位|什么人)");
  static const IcuRegex place(
      R"(\bwhere\b|\b(what|which) (city|country|state|place|region|area|location|continent|island|river|county|province|town)\b|)"
      R"(哪里|哪儿|在哪|什么地方|哪个国家|哪个城市|哪座城市|哪个地区|哪个州|哪个省)");
  // Order matters: "how many ... when ..." asks for a number.
  if (number.find(question)) return AnswerType::kNumber;
  if (date.find(question)) return AnswerType::kDate;
  if (person.find(question)) return AnswerType::kPerson;
  if (place.find(question)) return AnswerType::kPlace;
  return AnswerType::kOther;
}

std::vector<double> score_sentences(std::string_view question_text, const std::vector<std::string>& sentences,
                                    const std::vector<size_t>& passage, const ScoreOptions& options) {
  std::vector<double> scores(sentences.size(), 0.0);
  Question q;
  read_question(question_text, q);
  if (q.terms.empty() || sentences.empty()) return scores;

  std::vector<Match> matches;
  matches.reserve(sentences.size());
  std::unordered_map<const std::string*, int> df;
  for (const std::string& s : sentences) {
    matches.push_back(match_sentence(q, s));
    for (const auto& [t, at] : matches.back().at) ++df[t];
  }
  // BM25-style IDF, floored so a term present everywhere still counts a little.
  const double n = static_cast<double>(sentences.size());
  auto idf = [&](const std::string* t) {
    auto it = df.find(t);
    const double d = it == df.end() ? 0.0 : it->second;
    return std::max(0.05, std::log(1.0 + (n - d + 0.5) / (d + 0.5)));
  };
  double total = 0, pair_total = 0;
  for (const std::string* t : q.order) total += idf(t);
  for (const auto& [a, b] : q.pairs) pair_total += std::min(idf(a), idf(b));
  if (total <= 0) return scores;

  for (size_t i = 0; i < sentences.size(); ++i) {
    const Match& m = matches[i];
    // The previous sentence of the same passage lends the terms this one lacks.
    const Match* prev = i > 0 && passage.size() == sentences.size() && passage[i - 1] == passage[i] ? &matches[i - 1] : nullptr;
    double own = 0, inherited = 0, phrase = 0;
    for (const std::string* t : q.order) {  // summed in question order: deterministic
      if (m.at.count(t)) {
        own += idf(t);
      } else if (prev && prev->at.count(t)) {
        inherited += idf(t);
      }
    }
    for (const auto& [a, b] : q.pairs) phrase += pair_present(m, a, b) ? std::min(idf(a), idf(b)) : 0;
    // A sentence must hold a question term itself, or inherit some and hold a
    // candidate answer ("It opened in 1850."): inherited terms alone would pull
    // in every sentence that follows a good one.
    if (own + inherited <= 0) continue;
    const double type = type_bonus(q, sentences[i], options);
    if (own <= 0 && type <= 0) continue;
    scores[i] = own / total + options.context_weight * inherited / total +
                (pair_total > 0 ? options.phrase_weight * phrase / pair_total : 0) + type;
  }
  return scores;
}

}  // namespace owlet::answer
