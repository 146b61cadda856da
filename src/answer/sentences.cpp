#include "answer/sentences.h"

#include <unicode/brkiter.h>
#include <unicode/locid.h>
#include <unicode/unistr.h>

#include <memory>
#include <unordered_set>

#include "common/text.h"

namespace owlet::answer {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }


// "# Title" .. "###### Title": the level, and the title after the markers; 0 if not a heading.
int heading_level(std::string_view line, std::string* title) {
  size_t i = 0;
  while (i < line.size() && i < 7 && line[i] == '#') ++i;
  if (i == 0 || i > 6 || i >= line.size() || line[i] != ' ') return 0;
  *title = trim_text(line.substr(i + 1));
  while (!title->empty() && title->back() == '#') title->pop_back();  // closing markers "# Title #"
  *title = trim_text(*title);
  return title->empty() ? 0 : static_cast<int>(i);
}

// A line that is an item of its own: list items and table rows.
bool is_item_line(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && line[i] == ' ') ++i;
  const std::string_view l = line.substr(i);
  if (l.size() >= 2 && (l[0] == '-' || l[0] == '*' || l[0] == '+') && l[1] == ' ') return true;
  if (!l.empty() && l[0] == '|') return true;
  size_t d = 0;
  while (d < l.size() && d < 3 && l[d] >= '0' && l[d] <= '9') ++d;
  return d > 0 && d + 1 < l.size() && (l[d] == '.' || l[d] == ')') && l[d + 1] == ' ';
}

// Words after which a period does not end a sentence: titles before a name,
// and short forms that a number or a name follows. (Folded, without the period.)
const std::unordered_set<std::string>& abbreviations() {
  static const std::unordered_set<std::string> kWords = {
      "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "gen", "gov", "sen", "rep", "rev", "lt", "col",
      "capt", "sgt", "cpl", "maj", "adm", "hon", "mt", "ft", "no", "nos", "vol", "vols", "fig", "figs", "p",
      "pp", "ca", "cf", "approx", "vs", "ed", "eds", "dept", "univ", "assn", "bros", "jan", "feb", "mar",
      "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "e.g", "i.e", "a.m", "p.m", "et al",
      "al", "op", "ibid", "viz", "incl", "est", "mme", "mlle", "messrs", "sr", "sra", "esq"};
  return kWords;
}

// True when `piece` ends with a period that ICU took for a sentence end but is
// an abbreviation's or an initial's: "Dr.", "J.", "U.S.", "e.g.".
bool ends_with_abbreviation(std::string_view piece) {
  if (piece.empty() || piece.back() != '.') return false;
  size_t b = piece.size() - 1;
  while (b > 0 && !is_space(piece[b - 1]) && piece[b - 1] != '(' && piece[b - 1] != '"' && piece[b - 1] != '\'') --b;
  std::string word(piece.substr(b, piece.size() - 1 - b));  // without the final period
  if (word.empty()) return false;
  for (char c : word)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  // One capital letter: an initial ("J. R. R. Tolkien", "George W. Bush").
  if (word.size() == 1 && word[0] >= 'A' && word[0] <= 'Z') return true;
  // Letters joined by periods: "U.S", "e.g", "Ph.D".
  bool dotted = word.find('.') != std::string::npos;
  for (char c : word)
    if (!(c == '.' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) dotted = false;
  if (dotted) return true;
  for (char& c : word) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return abbreviations().count(word) > 0;
}

// Semicolons join independent clauses that read as sentences of their own, and
// long Chinese sentences often chain several with "；": each clause is a unit
// (the semicolon stays with the clause before it).
void split_clauses(std::string_view sentence, std::vector<std::string>* out) {
  size_t start = 0;
  int depth = 0;  // open parentheses: a list inside them ("(French: …; Dutch: …)") is one clause
  for (size_t i = 0; i < sentence.size();) {
    size_t len = 0;
    if (sentence[i] == '(' || sentence.compare(i, 3, "\uFF08") == 0) ++depth;
    if ((sentence[i] == ')' || sentence.compare(i, 3, "\uFF09") == 0) && depth > 0) --depth;
    if (depth == 0 && sentence.compare(i, 2, "; ") == 0) len = 1;
    if (depth == 0 && sentence.compare(i, 3, "\uFF1B") == 0) len = 3;
    if (len == 0) {
      ++i;
      continue;
    }
    std::string t = trim_text(sentence.substr(start, i + len - start));
    if (!t.empty()) out->push_back(std::move(t));
    start = i = i + len;
  }
  std::string t = trim_text(sentence.substr(start));
  if (!t.empty()) out->push_back(std::move(t));
}

// Opening quotes and brackets (and spaces before them).
bool is_opener(UChar32 c) {
  switch (c) {
    case 0x201C: case 0x2018: case 0x300C: case 0x300E: case 0xFF08: case 0x300A: case 0x3010: case '(': case '[':
    case ' ': case 0x3000:
      return true;
    default:
      return false;
  }
}

// One ICU sentence iterator per thread: creating one loads rule data.
icu::BreakIterator* sentence_iterator() {
  thread_local std::unique_ptr<icu::BreakIterator> it = [] {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::BreakIterator> p(
        icu::BreakIterator::createSentenceInstance(icu::Locale("en@ss=standard"), status));
    if (U_FAILURE(status)) p.reset();
    return p;
  }();
  return it.get();
}

// The sentences of one paragraph (no line breaks inside).
void paragraph_sentences(const std::string& para, std::vector<std::string>* out) {
  icu::BreakIterator* it = sentence_iterator();
  if (!it) {
    split_clauses(para, out);
    return;
  }
  const icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(para.data(), static_cast<int32_t>(para.size())));
  it->setText(u);
  std::string pending;  // a piece that ended at an abbreviation waits for the next one
  int32_t start = it->first();
  for (int32_t end = it->next(); end != icu::BreakIterator::DONE; start = end, end = it->next()) {
    // ICU keeps an opening quote or bracket that follows a sentence end with
    // that sentence ("…河流。“它…"): it opens the next one.
    int32_t cut = end;
    while (cut > start && is_opener(u.char32At(u.moveIndex32(cut, -1)))) cut = u.moveIndex32(cut, -1);
    if (cut == start) cut = end;
    std::string piece;
    u.tempSubStringBetween(start, cut).toUTF8String(piece);
    pending += piece;
    if (cut < end) {
      if (!ends_with_abbreviation(trim_text(pending))) {
        split_clauses(pending, out);
        pending.clear();
      }
      u.tempSubStringBetween(cut, end).toUTF8String(pending);
      continue;
    }
    if (ends_with_abbreviation(trim_text(pending))) continue;
    split_clauses(pending, out);
    pending.clear();
  }
  if (!trim_text(pending).empty()) split_clauses(pending, out);
}

}  // namespace

std::vector<TextUnit> split_units(std::string_view raw) {
  std::vector<TextUnit> out;
  const std::string text = owlet::utf8_sanitize(raw);
  int section = -1;
  int paragraph = 0;
  std::string para;  // the paragraph being read, its lines joined by spaces
  auto flush = [&] {
    const std::string p = trim_text(para);
    para.clear();
    if (p.empty()) return;
    std::vector<std::string> sentences;
    paragraph_sentences(p, &sentences);
    for (std::string& s : sentences) out.push_back({std::move(s), false, 0, section, paragraph});
    ++paragraph;
  };
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    const std::string line = trim_text(std::string_view(text).substr(pos, nl - pos));
    pos = nl + 1;
    std::string title;
    if (line.empty()) {
      flush();
    } else if (const int level = heading_level(line, &title)) {
      flush();
      int parent = section;
      while (parent >= 0 && out[static_cast<size_t>(parent)].level >= level) parent = out[static_cast<size_t>(parent)].section;
      section = static_cast<int>(out.size());
      out.push_back({std::move(title), true, level, parent, paragraph++});
    } else if (is_item_line(line)) {
      flush();
      para = line;
      flush();
    } else {
      if (!para.empty()) para += ' ';
      para += line;
    }
    if (nl == text.size()) break;
  }
  flush();
  return out;
}

std::string heading_path(const std::vector<TextUnit>& units, size_t i) {
  std::vector<const std::string*> chain;
  for (int h = i < units.size() ? units[i].section : -1; h >= 0 && chain.size() < 6; h = units[static_cast<size_t>(h)].section)
    chain.push_back(&units[static_cast<size_t>(h)].text);
  std::string out;
  for (size_t k = chain.size(); k-- > 0;) out += (out.empty() ? "" : " \u00B7 ") + *chain[k];
  return out;
}

std::vector<std::string> split_sentences(std::string_view text) {
  std::vector<std::string> out;
  for (TextUnit& u : split_units(text))
    if (!u.heading) out.push_back(std::move(u.text));
  return out;
}

std::string trim_text(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  std::string out(s.substr(b, e - b));
  // Non-breaking and ideographic spaces at the edges (common in CJK pages).
  for (const std::string_view sp : {std::string_view("\u00a0"), std::string_view("\u3000")}) {
    while (out.size() >= sp.size() && out.compare(0, sp.size(), sp) == 0) out.erase(0, sp.size());
    while (out.size() >= sp.size() && out.compare(out.size() - sp.size(), sp.size(), sp) == 0) out.resize(out.size() - sp.size());
  }
  return out;
}

}  // namespace owlet::answer
