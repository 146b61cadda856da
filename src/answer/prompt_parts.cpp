#include "answer/prompt_parts.h"

#include <vector>

#include "common/strings.h"
#include "common/text.h"

namespace owlet::answer {
namespace {

constexpr int kQuotedWords = 12;     // a longer passage in quotes is material
constexpr int kRequestWords = 25;    // beside a shorter request, a longer paragraph is material
constexpr int kColonTailWords = 25;  // "Summarize this: <more than this>"
constexpr int kColonHeadWords = 15;
constexpr int kInlineCodeWords = 6;  // `longer inline code` is material

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

bool is_fence(std::string_view t) { return starts_with(t, "```") || starts_with(t, "~~~"); }

// A line shaped like source code: a keyword that opens a statement, or the
// punctuation that ends one. Prose rarely ends with ';' or '{', or starts with "def ".
bool looks_like_code(std::string_view t) {
  static const char* const kOpeners[] = {
      "def ",     "class ",  "import ",   "from ",    "#include", "#define", "function ", "return ",  "public ",
      "private ", "const ",  "let ",      "var ",     "for (",    "for(",    "if (",      "if(",      "while (",
      "while(",   "print(",  "printf(",   "console.", "fn ",      "func ",   "package ",  "#!/",      "std::",
      "elif ",    "else:",   "try:",      "except ",  "catch (",  "using ",  "namespace ", "template<", "SELECT ",
      "INSERT ",  "UPDATE ", "CREATE ",   "$ ",       "echo ",    "sudo ",   "npm ",      "pip ",     "git "};
  if (t.empty()) return false;
  for (const char* k : kOpeners) {
    if (starts_with(t, k)) {
      // "from" and "import" open prose too ("From what I read…"): need code punctuation nearby.
      if ((starts_with(t, "from ") || starts_with(t, "import ")) && t.find_first_of("._*") == std::string_view::npos)
        continue;
      return true;
    }
  }
  const char last = t.back();
  if (last == ';' || last == '{' || last == '}') return true;
  if (t == ")" || t == "]" || t == "};") return true;
  // An assignment or call with no space-separated prose around it: "x = f(y)".
  return (t.find(" = ") != std::string_view::npos || t.find("==") != std::string_view::npos ||
          t.find("->") != std::string_view::npos) &&
         t.find('(') != std::string_view::npos && count_words(t) <= 12 && t.find(". ") == std::string_view::npos;
}

size_t indent_of(std::string_view line) {
  size_t n = 0;
  for (char c : line) {
    if (c == ' ') ++n;
    else if (c == '\t') n += 4;
    else break;
  }
  return n;
}

// Passages in quotes or backticks: long ones leave the ask.
std::string drop_quoted(std::string_view text, PromptParts* out) {
  struct Pair {
    std::string_view open, close;
    int max_words;
  };
  static const Pair kPairs[] = {{"\"", "\"", kQuotedWords},   {"\u201C", "\u201D", kQuotedWords},
                                {"\u300C", "\u300D", kQuotedWords}, {"\u300E", "\u300F", kQuotedWords},
                                {"`", "`", kInlineCodeWords}};
  std::string s(text);
  for (const Pair& p : kPairs) {
    std::string kept;
    size_t pos = 0;
    while (pos < s.size()) {
      const size_t a = s.find(p.open, pos);
      if (a == std::string::npos) break;
      const size_t b = s.find(p.close, a + p.open.size());
      if (b == std::string::npos) break;
      const std::string_view inner(s.data() + a + p.open.size(), b - a - p.open.size());
      const int w = count_words(inner);
      kept.append(s, pos, a - pos);
      if (w > p.max_words) {
        kept += " … ";
        out->material_words += w;
        if (p.open == "`") out->code = true;
        else out->quoted = true;
      } else {
        kept.append(s, a, b + p.close.size() - a);
      }
      pos = b + p.close.size();
    }
    kept.append(s, std::min(pos, s.size()), std::string::npos);
    s = std::move(kept);
  }
  return s;
}

// "Summarize this: <a long text>": the long tail after a short head is material.
std::string drop_colon_tail(const std::string& line, PromptParts* out) {
  size_t colon = line.find(':');
  const size_t wide = line.find("\uFF1A");
  if (wide != std::string::npos && (colon == std::string::npos || wide < colon)) colon = wide;
  if (colon == std::string::npos) return line;
  const size_t tail_at = colon + (line[colon] == ':' ? 1 : 3);
  const std::string_view head(line.data(), colon);
  const std::string_view tail(line.data() + tail_at, line.size() - tail_at);
  const int tail_words = count_words(tail);
  if (count_words(head) > kColonHeadWords || tail_words <= kColonTailWords) return line;
  out->document = true;
  out->material_words += tail_words;
  return std::string(head) + ":";
}

void append_collapsed(std::string& out, std::string_view text) {
  bool space = !out.empty();
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
}

}  // namespace

int count_words(std::string_view text) {
  int n = 0;
  bool in_word = false;
  size_t i = 0;
  while (i < text.size()) {
    const char32_t cp = utf8_next(text, i);
    if (is_cjk(cp)) {
      ++n;
      in_word = false;
    } else if (is_word_char(cp)) {
      if (!in_word) ++n;
      in_word = true;
    } else {
      in_word = false;
    }
  }
  return n;
}

PromptParts split_prompt(std::string_view prompt) {
  PromptParts out;
  out.words = count_words(prompt);
  std::vector<std::string> paragraphs(1);
  bool fenced = false;
  size_t start = 0;
  while (start <= prompt.size()) {
    size_t end = prompt.find('\n', start);
    if (end == std::string_view::npos) end = prompt.size();
    std::string_view line = prompt.substr(start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::string_view t = trim(line);
    const int w = count_words(t);
    if (is_fence(t) || fenced) {
      if (is_fence(t)) fenced = !fenced;
      out.code = true;
      out.material_words += w;
      continue;
    }
    if (t.empty()) {
      if (!paragraphs.back().empty()) paragraphs.emplace_back();
      continue;
    }
    if (t[0] == '>') {
      out.quoted = true;
      out.material_words += w;
      continue;
    }
    if (looks_like_code(t) || (indent_of(line) >= 4 && t.find_first_of(";{}()=") != std::string_view::npos)) {
      out.code = true;
      out.material_words += w;
      continue;
    }
    std::string& p = paragraphs.back();
    if (!p.empty()) p += '\n';
    p += t;
  }
  if (paragraphs.back().empty()) paragraphs.pop_back();
  // Several paragraphs: the request is the short one(s), the longer ones are what it
  // is about ("Summarize this.\n\n<text>"). When every paragraph is long, the first
  // is taken as the request.
  bool any_short = false;
  for (const std::string& p : paragraphs) any_short = any_short || count_words(p) <= kRequestWords;
  for (size_t i = 0; i < paragraphs.size(); ++i) {
    const std::string& p = paragraphs[i];
    const int w = count_words(p);
    if (paragraphs.size() > 1 && w > kRequestWords && (any_short || i > 0)) {
      out.document = true;
      out.material_words += w;
      continue;
    }
    std::string kept;
    size_t s = 0;
    while (s <= p.size()) {
      size_t e = p.find('\n', s);
      if (e == std::string::npos) e = p.size();
      kept += drop_colon_tail(p.substr(s, e - s), &out);
      kept += '\n';
      s = e + 1;
    }
    append_collapsed(out.ask, drop_quoted(kept, &out));
  }
  return out;
}

}  // namespace owlet::answer
