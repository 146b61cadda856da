#include "answer/cache_index.h"

#include <set>

#include "common/strings.h"
#include "common/text.h"

namespace owlet::answer {
namespace {

const std::set<std::string>& set_of(std::initializer_list<const char*> words, std::set<std::string>* s) {
  for (const char* w : words) s->insert(w);
  return *s;
}

bool in(const std::set<std::string>& s, const std::string& w) { return s.count(w) > 0; }

const std::set<std::string>& aux_words() {
  static std::set<std::string> s;
  static const auto& r = set_of({"is", "are", "was", "were", "am", "be", "been", "do", "does", "did", "can", "could",
                                 "will", "would", "should", "shall", "has", "have", "had", "may", "might", "must"},
                                &s);
  return r;
}

// Words that never change what is asked: articles, most prepositions (not the
// directional ones: "from X to Y" is kept), pronoun "you", politeness.
const std::set<std::string>& filler_words() {
  static std::set<std::string> s;
  static const auto& r = set_of({"a", "an", "the", "and", "as", "at", "by", "for", "in", "it", "its", "of", "on",
                                 "or", "that", "this", "with", "you", "your", "please", "kindly", "tell", "me",
                                 "know", "hey", "hi", "hello", "just", "actually", "exactly", "anyone", "someone",
                                 "somebody", "s", "about"},
                                &s);
  return r;
}

const std::set<std::string>& negation_words() {
  static std::set<std::string> s;
  static const auto& r =
      set_of({"not", "no", "never", "none", "nobody", "nothing", "neither", "nor", "cannot", "without"}, &s);
  return r;
}

// "isn" + "t" -> "is" "not" (word characters split an apostrophe off).
std::string contraction_base(const std::string& w) {
  static const std::pair<const char*, const char*> k[] = {
      {"isn", "is"},       {"aren", "are"},     {"wasn", "was"},   {"weren", "were"}, {"doesn", "does"},
      {"don", "do"},       {"didn", "did"},     {"can", "can"},    {"couldn", "could"}, {"won", "will"},
      {"wouldn", "would"}, {"shouldn", "should"}, {"hasn", "has"}, {"haven", "have"}, {"hadn", "had"},
      {"mustn", "must"},   {"ain", "is"}};
  for (const auto& [c, base] : k)
    if (w == c) return base;
  return "";
}

// Plural and third-person -s folded: "owls" = "owl", "flies" = "fly".
std::string fold_word(std::string w) {
  const size_t n = w.size();
  if (n > 4 && w.compare(n - 3, 3, "ies") == 0) return w.substr(0, n - 3) + "y";
  if (n > 4 && w.compare(n - 4, 4, "sses") == 0) return w.substr(0, n - 2);
  if (n > 3 && w.back() == 's' && w[n - 2] != 's' && w[n - 2] != 'u' && w[n - 2] != 'i') return w.substr(0, n - 1);
  return w;
}

struct Token {
  std::string text;
  bool cjk = false;
};

std::vector<Token> tokenize(std::string_view q) {
  std::vector<Token> out;
  Token cur;
  auto flush = [&] {
    if (!cur.text.empty()) out.push_back(cur);
    cur = Token{};
  };
  size_t i = 0;
  while (i < q.size()) {
    const size_t s = i;
    const char32_t cp = utf8_next(q, i);
    const bool cjk = is_cjk(cp);
    if (!cjk && !is_word_char(cp)) {
      flush();
      continue;
    }
    if (!cur.text.empty() && cur.cjk != cjk) flush();
    cur.cjk = cjk;
    cur.text.append(q.substr(s, i - s));
  }
  flush();
  for (auto& t : out)
    if (!t.cjk) t.text = ascii_lower(t.text);
  return out;
}

// Removes every occurrence of `marker` from `run`; how many there were.
int take(std::string* run, std::string_view marker) {
  int n = 0;
  for (size_t p = run->find(marker); p != std::string::npos; p = run->find(marker, p)) {
    run->erase(p, marker.size());
    ++n;
  }
  return n;
}

size_t cjk_chars(std::string_view s) {
  size_t n = 0, i = 0;
  while (i < s.size()) {
    utf8_next(s, i);
    ++n;
  }
  return n;
}

// A CJK run: its question word, negations and particles come out; the rest is content.
void shape_cjk(std::string run, QuestionShape* out) {
  static const std::pair<const char*, const char*> kWords[] = {
      {"为什么", "why"},  {"為什麼", "why"},  {"为何", "why"},     {"什么时候", "when"}, {"什麼時候", "when"},
      {"何时", "when"},   {"哪一年", "when"}, {"哪年", "when"},    {"哪里", "where"},    {"哪裡", "where"},
      {"哪儿", "where"},  {"在哪", "where"},  {"是不是", "yesno"}, {"是否", "yesno"},    {"多少", "how_many"},
      {"怎么", "how"},    {"怎麼", "how"},    {"如何", "how"},     {"怎样", "how"},      {"谁", "who"},
      {"誰", "who"},      {"什么", "what"},   {"什麼", "what"},    {"哪个", "what"},     {"哪", "what"},
      {"吗", "yesno"},    {"嗎", "yesno"}};
  for (const auto& [w, q] : kWords)
    if (take(&run, w) > 0 && out->qword.empty()) out->qword = q;
  for (const char* neg : {"没有", "沒有", "不", "没", "沒", "无", "無", "非", "别", "別"}) out->negations += take(&run, neg);
  for (const char* past : {"过", "過"})
    if (take(&run, past) > 0) out->tense += "past ";
  for (const char* particle : {"请问", "請問", "请", "請", "呢", "啊", "吧", "呀", "的", "了"}) take(&run, particle);
  if (!run.empty()) out->content.push_back(run);
}

}  // namespace

size_t QuestionShape::weight() const {
  size_t w = 0;
  for (const auto& c : content) {
    const size_t n = cjk_chars(c);
    const bool cjk = n > 0 && n * 3 == c.size();
    w += cjk ? n / 2 : 1;
  }
  return w;
}

QuestionShape question_shape(std::string_view question) {
  QuestionShape out;
  std::vector<Token> toks = tokenize(question);
  // Contractions first: "isn't" -> is not, "what's" -> what (is), "they'll" -> they will.
  std::vector<Token> words;
  for (size_t i = 0; i < toks.size(); ++i) {
    Token t = toks[i];
    if (!t.cjk && !words.empty() && !words.back().cjk) {
      if (t.text == "t") {
        const std::string base = contraction_base(words.back().text);
        if (!base.empty()) {
          words.back().text = base;
          words.push_back({"not", false});
          continue;
        }
      }
      if (t.text == "re") t.text = "are";
      else if (t.text == "ll") t.text = "will";
      else if (t.text == "ve") t.text = "have";
      else if (t.text == "d") t.text = "would";
      else if (t.text == "m" && words.back().text == "i") t.text = "am";  // "I'm", not "Ann M. Martin"
    }
    if (!t.cjk && t.text == "cannot") {
      words.push_back({"can", false});
      t.text = "not";
    }
    words.push_back(t);
  }
  bool lead_aux = false;
  for (size_t i = 0; i < words.size(); ++i) {
    const Token& t = words[i];
    if (t.cjk) {
      shape_cjk(t.text, &out);
      continue;
    }
    const std::string& w = t.text;
    const std::string next = i + 1 < words.size() && !words[i + 1].cjk ? words[i + 1].text : "";
    std::string q;
    if (w == "what" || w == "which") q = "what";
    else if (w == "why" || w == "when" || w == "where") q = w;
    else if (w == "who" || w == "whom" || w == "whose") q = "who";
    else if (w == "whether" || (w == "if" && i > 0 && words[i - 1].text == "me")) q = "yesno";  // "tell me if"
    else if (w == "how") {
      q = "how";
      if (next == "many" || next == "much" || next == "long" || next == "old" || next == "far" || next == "often" ||
          next == "big" || next == "tall")
        q = next == "many" ? "how_many" : "how_" + next;
    }
    if (!q.empty()) {
      if (out.qword.empty()) out.qword = q;
      if (q.rfind("how_", 0) == 0 && q != "how") ++i;  // "many" is part of the question word
      continue;
    }
    if (in(negation_words(), w)) {
      ++out.negations;
      continue;
    }
    if (in(aux_words(), w)) {
      // "Is Paris ...", "Please, did ...": yes or no, unless a question word follows.
      if (out.content.empty() && out.negations == 0) lead_aux = true;
      // Every verb's tense counts, in order: "What is X and when was it built"
      // is not "What was X and when was it built".
      if (w == "was" || w == "were" || w == "did" || w == "had") out.tense += "past ";
      else if (w == "will" || w == "shall") out.tense += "future ";
      continue;
    }
    if (in(filler_words(), w)) continue;
    out.content.push_back(fold_word(w));
  }
  if (out.qword.empty() && lead_aux) out.qword = "yesno";
  return out;
}

std::string paraphrase_signature(std::string_view question) {
  QuestionShape s = question_shape(question);
  if (s.weight() < 2) return "";
  std::string sig = s.qword + '\x1f' + std::to_string(s.negations) + '\x1f' + s.tense + '\x1f';
  for (const auto& c : s.content) {
    sig += c;
    sig += ' ';
  }
  return sig;
}

void CacheIndex::add(const std::string& key, const std::string& tag, int64_t expires_at) {
  const std::string sig = paraphrase_signature(key);
  if (sig.empty()) return;
  std::string k = tag + '\n' + sig;
  std::lock_guard lk(mu_);
  auto [it, fresh] = entries_.insert_or_assign(k, Entry{key, expires_at});
  if (!fresh) return;
  order_.push_back(std::move(k));
  if (order_.size() > kMaxEntries) {  // oldest first out
    entries_.erase(order_.front());
    order_.pop_front();
  }
}

std::optional<std::string> CacheIndex::find(std::string_view question, const std::string& tag, int64_t now) const {
  const std::string sig = paraphrase_signature(question);
  if (sig.empty()) return std::nullopt;
  std::lock_guard lk(mu_);
  auto it = entries_.find(tag + '\n' + sig);
  if (it == entries_.end() || (it->second.expires_at != 0 && it->second.expires_at <= now)) return std::nullopt;
  return it->second.key;
}

void CacheIndex::clear() {
  std::lock_guard lk(mu_);
  entries_.clear();
  order_.clear();
}

size_t CacheIndex::size() const {
  std::lock_guard lk(mu_);
  return entries_.size();
}

}  // namespace owlet::answer
