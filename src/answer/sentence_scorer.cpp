#include "answer/sentence_scorer.h"

#include <unicode/brkiter.h>
#include <unicode/locid.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
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
  std::set<std::string> candidates;  // number/date/name strings the question itself contains
  std::vector<std::string> sequence; // term_sequence of the question (n-gram runs)
  // Each term's share of its word: a Chinese word of n characters is n - 1
  // bigrams, which share the word's weight, so that a long name (维多利亚州,
  // four bigrams) does not outweigh the rare word the answer hinges on (窄轨,
  // one); bigrams across a word boundary ("州的") carry little. 1 elsewhere.
  std::unordered_map<const std::string*, double> share;
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

// Capitalized Latin words that are not question terms: a cheap stand-in for "a
// name the question does not already give". 2 = a run of two or more (a full
// name, "Peyton Manning", "Royal Society"); 1 = one past the sentence's first
// word; 0 = none.
int new_name_strength(const Question& q, std::string_view sentence) {
  int best = 0, run = 0, run_new = 0;
  bool first = true;
  std::string word;
  auto end_word = [&](bool joins) {
    if (word.empty()) {
      if (!joins) run = run_new = 0;
      return;
    }
    const bool cap = word[0] >= 'A' && word[0] <= 'Z';
    if (cap) {
      ++run;
      if (!lookup(q, fold_word(word))) ++run_new;
      if (run >= 2 && run_new >= 1) best = 2;
      else if (!first && run_new >= 1) best = std::max(best, 1);
    } else {
      run = run_new = 0;
    }
    first = false;
    word.clear();
  };
  for (char c : sentence) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-') {
      word += c;
    } else {
      end_word(c == ' ');
    }
  }
  end_word(false);
  return best;
}

// Chinese names and organisations: transliterated names joined by "·" (卡万·肖特),
// and words ending in what organisations are called.
const IcuRegex& zh_name_re() {
  static const IcuRegex re(
      R"(\p{Han}{1,8}[·•‧・]\p{Han}{1,8}|\p{Han}{1,10}(公司|大学|学院|协会|委员会|政府|组织|集团|银行|俱乐部|基金会|研究所|博物馆|教会|议会|乐队|球队|军团|王朝|家族))");
  return re;
}

// Bonus for holding a candidate of the asked-for type.
double type_bonus(const Question& q, std::string_view sentence, const ScoreOptions& o) {
  switch (q.type) {
    case AnswerType::kDate:
      if (has_new_match(date_re(), sentence, q.candidates)) return o.type_bonus;
      return has_new_match(number_re(), sentence, q.candidates) ? o.weak_type_bonus : 0;
    case AnswerType::kNumber:
      return has_new_match(number_re(), sentence, q.candidates) ? o.type_bonus : 0;
    case AnswerType::kPerson: {
      if (has_new_match(zh_name_re(), sentence, q.candidates)) return o.type_bonus;
      const int name = new_name_strength(q, sentence);
      return name == 2 ? o.type_bonus : name == 1 ? o.weak_type_bonus : 0;
    }
    case AnswerType::kPlace:
      return new_name_strength(q, sentence) > 0 ? o.weak_type_bonus : 0;
    case AnswerType::kOther:
      break;
  }
  return 0;
}

// The character offsets (code points) where ICU's dictionary word breaker
// starts a new word in `text`, for Chinese word segmentation.
std::vector<int32_t> word_starts(const icu::UnicodeString& u) {
  thread_local std::unique_ptr<icu::BreakIterator> it = [] {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::BreakIterator> p(icu::BreakIterator::createWordInstance(icu::Locale("zh"), status));
    if (U_FAILURE(status)) p.reset();
    return p;
  }();
  std::vector<int32_t> out;
  if (!it) return out;
  it->setText(u);
  for (int32_t b = it->first(); b != icu::BreakIterator::DONE; b = it->next()) out.push_back(u.countChar32(0, b));
  return out;
}

// Shares of the question's CJK bigrams (Question::share).
void share_cjk_words(std::string_view text, Question& q) {
  const std::string clean(text);
  const icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(clean.data(), static_cast<int32_t>(clean.size())));
  const std::vector<int32_t> starts = word_starts(u);
  if (starts.size() < 2) return;
  // Per code point: the word it belongs to and that word's length.
  const int32_t n = u.countChar32();
  std::vector<int> word(static_cast<size_t>(n), 0), length(static_cast<size_t>(n), 1);
  for (size_t w = 0; w + 1 < starts.size(); ++w)
    for (int32_t c = starts[w]; c < starts[w + 1] && c < n; ++c) {
      word[static_cast<size_t>(c)] = static_cast<int>(w);
      length[static_cast<size_t>(c)] = starts[w + 1] - starts[w];
    }
  std::vector<std::string> chars;
  for (int32_t i = 0, off = 0; i < n; ++i) {
    const UChar32 cp = u.char32At(off);
    std::string one;
    icu::UnicodeString(cp).toUTF8String(one);
    chars.push_back(one);
    off = u.moveIndex32(off, 1);
  }
  for (size_t i = 0; i + 1 < chars.size(); ++i) {
    const std::string* t = lookup(q, chars[i] + chars[i + 1]);
    if (!t) continue;
    const double sh = word[i] == word[i + 1] ? 1.0 / std::max(1, length[i] - 1) : 0.25;
    auto it = q.share.find(t);
    q.share[t] = it == q.share.end() ? sh : std::max(it->second, sh);
  }
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
  if (q.type == AnswerType::kPerson) q.candidates = matches_of(zh_name_re(), text);
  q.sequence = seq;
  share_cjk_words(text, q);
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
  static const IcuRegex person(
      R"(\b(who|whom|whose)\b|\b(what|which) (company|organi[sz]ation|team|group|band|university|school|party|agency|firm)\b|)"
      R"(谁|哪位|什么人|哪家|哪个(公司|组织|团队|球队|大学|学校|机构|政党|乐队))");
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

namespace {

// The smallest span (in tokens) holding every question term the sentence holds,
// as a share: 1 when they stand side by side, toward 0 when scattered.
double proximity(const Match& m) {
  if (m.at.size() < 2) return 0;
  std::vector<std::pair<int, const std::string*>> hits;
  for (const auto& [t, at] : m.at)
    for (int p : at) hits.emplace_back(p, t);
  std::sort(hits.begin(), hits.end());
  const size_t need = m.at.size();
  std::unordered_map<const std::string*, int> in;
  size_t have = 0, lo = 0;
  int best = std::numeric_limits<int>::max();
  for (size_t hi = 0; hi < hits.size(); ++hi) {
    if (in[hits[hi].second]++ == 0) ++have;
    while (have == need) {
      best = std::min(best, hits[hi].first - hits[lo].first);
      if (--in[hits[lo].second] == 0) --have;
      ++lo;
    }
  }
  return static_cast<double>(need - 1) / std::max(1, best);
}

bool is_cjk_token(const std::string& t) { return !t.empty() && static_cast<unsigned char>(t[0]) >= 0xE0; }

// The longest run of consecutive CJK tokens (bigrams) of the question found
// consecutively in the sentence: 2 bigrams = 3 characters in a row.
int longest_cjk_run(const std::vector<std::string>& q, const std::vector<std::string>& s) {
  if (q.empty() || s.empty()) return 0;
  std::vector<int> prev(s.size() + 1, 0), cur(s.size() + 1, 0);
  int best = 0;
  for (size_t i = 0; i < q.size(); ++i) {
    for (size_t j = 0; j < s.size(); ++j) {
      cur[j + 1] = is_cjk_token(q[i]) && q[i].size() > 4 && q[i] == s[j] ? prev[j] + 1 : 0;
      best = std::max(best, cur[j + 1]);
    }
    std::swap(prev, cur);
  }
  return best;
}

}  // namespace

std::vector<double> score_sentences(std::string_view question_text, const std::vector<std::string>& sentences,
                                    const std::vector<size_t>& passage, const ScoreOptions& options) {
  SentenceContext context;
  context.passage = passage;
  return score_sentences(question_text, sentences, context, options);
}

std::vector<double> score_sentences(std::string_view question_text, const std::vector<std::string>& sentences,
                                    const SentenceContext& context, const ScoreOptions& options) {
  std::vector<double> scores(sentences.size(), 0.0);
  Question q;
  read_question(question_text, q);
  if (q.terms.empty() || sentences.empty()) return scores;
  const std::vector<size_t>& passage = context.passage;
  const bool headed = context.heading.size() == sentences.size();

  std::vector<Match> matches;
  matches.reserve(sentences.size());
  std::unordered_map<const std::string*, int> df;
  for (const std::string& s : sentences) {
    matches.push_back(match_sentence(q, s));
    for (const auto& [t, at] : matches.back().at) ++df[t];
  }
  // Titles and headings repeat: each distinct one is matched once.
  std::unordered_map<std::string, Match> heading_match;
  if (headed)
    for (const std::string& h : context.heading)
      if (!h.empty() && !heading_match.count(h)) heading_match.emplace(h, match_sentence(q, h));
  // BM25-style IDF, floored so a term present everywhere still counts a little.
  const double n = static_cast<double>(sentences.size());
  auto idf = [&](const std::string* t) {
    auto it = df.find(t);
    const double d = it == df.end() ? 0.0 : it->second;
    return std::max(0.05, std::log(1.0 + (n - d + 0.5) / (d + 0.5)));
  };
  // A term's weight: its IDF, times its share of its word (Chinese bigrams).
  auto weight = [&](const std::string* t) {
    auto it = q.share.find(t);
    return idf(t) * (it == q.share.end() ? 1.0 : it->second);
  };
  double total = 0, pair_total = 0;
  for (const std::string* t : q.order) total += weight(t);
  for (const auto& [a, b] : q.pairs) pair_total += std::min(weight(a), weight(b));
  if (total <= 0) return scores;
  bool cjk_question = false;
  for (const std::string& t : q.sequence) cjk_question = cjk_question || is_cjk_token(t);
  // Passage coverage: the question terms its sentences hold together, as a share
  // of the question's weight. An answer's passage tends to hold the question's
  // terms as a whole, spread over sentences that each hold a few.
  std::unordered_map<size_t, std::unordered_set<const std::string*>> passage_terms;
  if (passage.size() == sentences.size())
    for (size_t i = 0; i < sentences.size(); ++i)
      for (const auto& [t, at] : matches[i].at) passage_terms[passage[i]].insert(t);
  std::unordered_map<size_t, double> passage_cover;
  for (const auto& [id, terms] : passage_terms) {
    double w = 0;
    for (const std::string* t : terms) w += weight(t);
    passage_cover[id] = w / total;
  }

  for (size_t i = 0; i < sentences.size(); ++i) {
    const Match& m = matches[i];
    // The previous sentence of the same passage lends the terms this one lacks.
    const Match* prev = i > 0 && passage.size() == sentences.size() && passage[i - 1] == passage[i] ? &matches[i - 1] : nullptr;
    const Match* head = nullptr;
    if (headed && !context.heading[i].empty()) head = &heading_match.at(context.heading[i]);
    double own = 0, inherited = 0, headed_terms = 0, phrase = 0;
    for (const std::string* t : q.order) {  // summed in question order: deterministic
      if (m.at.count(t)) {
        own += weight(t);
      } else if (prev && prev->at.count(t)) {
        inherited += weight(t);
      } else if (head && head->at.count(t)) {
        headed_terms += weight(t);
      }
    }
    for (const auto& [a, b] : q.pairs) phrase += pair_present(m, a, b) ? std::min(weight(a), weight(b)) : 0;
    // A sentence must hold a question term itself, or inherit some and hold a
    // candidate answer ("It opened in 1850."): inherited terms alone would pull
    // in every sentence that follows a good one.
    const double cover = passage.size() == sentences.size() ? passage_cover[passage[i]] : 0.0;
    double lexical = 0;
    if (own + inherited + headed_terms + cover > 0) {
      const double type = type_bonus(q, sentences[i], options);
      if (own > 0 || type > 0) {
        lexical = own / total + options.context_weight * inherited / total + options.heading_weight * headed_terms / total +
                  (pair_total > 0 ? options.phrase_weight * phrase / pair_total : 0) + type +
                  options.proximity_weight * proximity(m) * own / total + options.passage_weight * cover;
        if (cjk_question && options.ngram_weight > 0) {
          const int run = longest_cjk_run(q.sequence, term_sequence(sentences[i]));
          lexical += options.ngram_weight * std::min(1.0, std::max(0, run - 1) / 4.0);
        }
      }
    }
    scores[i] = lexical;
  }
  if (options.semantic) {
    // The embedding model reranks the best lexical candidates only: embedding
    // every sentence of five long pages would cost more than the answer.
    std::vector<size_t> top;
    for (size_t i = 0; i < scores.size(); ++i)
      if (scores[i] > 0) top.push_back(i);
    std::stable_sort(top.begin(), top.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
    if (top.size() > kSemanticCandidates) top.resize(kSemanticCandidates);
    std::vector<std::string> texts;
    for (size_t i : top) texts.push_back(sentences[i]);
    const std::vector<double> sim = texts.empty() ? std::vector<double>{} : options.semantic(question_text, texts);
    if (sim.size() == top.size())
      for (size_t k = 0; k < top.size(); ++k) scores[top[k]] += options.semantic_weight * std::clamp(sim[k], 0.0, 1.0);
  }
  return scores;
}

}  // namespace owlet::answer
