#include "answer/search_query.h"

#include <vector>

#include "answer/prompt_parts.h"
#include "common/text.h"

namespace owlet::answer {
namespace {

// Sentence ends, and the colon that ends a lead-in ("Here is my report: …").
bool is_terminal(char32_t cp) {
  return cp == '.' || cp == '?' || cp == '!' || cp == ':' || cp == 0x3002 || cp == 0xFF1F || cp == 0xFF01 || cp == 0xFF1A;
}
bool is_question_mark(char32_t cp) { return cp == '?' || cp == 0xFF1F; }

struct Sentence {
  std::string text;
  bool question = false;
};

// Sentences end at . ? ! : 。？！： followed by a space, a CJK character or the end
// ("3.5", "10:30" and "e.g." stay whole when no space follows).
std::vector<Sentence> sentences_of(std::string_view text) {
  std::vector<Sentence> out(1);
  size_t i = 0;
  while (i < text.size()) {
    const size_t at = i;
    const char32_t cp = utf8_next(text, i);
    out.back().text.append(text.substr(at, i - at));
    if (!is_terminal(cp)) continue;
    size_t j = i;
    const char32_t next = j < text.size() ? utf8_next(text, j) : U' ';
    if (cp < 0x80 && next != U' ' && !is_cjk(next)) continue;
    out.back().question = is_question_mark(cp);
    out.emplace_back();
  }
  if (out.back().text.find_first_not_of(' ') == std::string::npos) out.pop_back();
  return out;
}

// The first `max_words` words of `text`, cut after the last whole word.
std::string bounded(std::string_view text, int max_words) {
  int n = 0;
  bool in_word = false;
  size_t i = 0, end_of_last = 0;
  while (i < text.size()) {
    const char32_t cp = utf8_next(text, i);
    const bool cjk = is_cjk(cp), word = cjk || is_word_char(cp);
    if (word && (cjk || !in_word)) {
      if (n == max_words) return std::string(text.substr(0, end_of_last));
      ++n;
    }
    in_word = word && !cjk;
    if (word) end_of_last = i;
  }
  return std::string(text);
}

std::string trimmed(const std::string& s) {
  const size_t a = s.find_first_not_of(' ');
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(' ') - a + 1);
}

}  // namespace

std::string search_query(std::string_view prompt, int max_words) {
  const PromptParts parts = split_prompt(prompt);
  if (count_words(parts.ask) == 0 || max_words <= 0) return "";
  // The question sentences when the ask has any ("I moved to Lyon last year. Who is
  // its mayor?" searches for the mayor), else the whole ask.
  std::string q;
  for (const Sentence& s : sentences_of(parts.ask)) {
    if (!s.question) continue;
    const std::string t = trimmed(s.text);
    if (!q.empty() && !t.empty() && static_cast<unsigned char>(t[0]) < 0x80) q += ' ';
    q += t;
  }
  if (count_words(q) == 0) q = parts.ask;
  return bounded(trimmed(q), max_words);
}

}  // namespace owlet::answer
