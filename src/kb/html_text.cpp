#include "kb/html_text.h"
#include "common/text.h"
#include "common/strings.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>

namespace owlet::kb {
namespace {

bool is_skipped(const std::string& tag) {
  return tag == "script" || tag == "style" || tag == "nav" || tag == "header" || tag == "footer" ||
         tag == "aside" || tag == "noscript" || tag == "template" || tag == "svg" || tag == "form";
}

bool is_block(const std::string& tag) {
  static const char* kBlocks[] = {"p",  "div", "br", "li",  "ul",      "ol",      "h1",         "h2",    "h3",
                                  "h4", "h5",  "h6", "tr",  "table",   "section", "article",    "main",  "pre",
                                  "hr", "dd",  "dt", "dl",  "blockquote", "figure", "figcaption", "body", "title"};
  for (const char* b : kBlocks)
    if (tag == b) return true;
  return false;
}

// Decodes entities and collapses whitespace runs (keeping paragraph breaks "\n\n").
std::string decode_text(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '&') {
      const size_t semi = s.find(';', i);
      if (semi != std::string_view::npos && semi - i <= 10) {
        const std::string ent = ascii_lower(s.substr(i + 1, semi - i - 1));
        const char* rep = nullptr;
        if (ent == "amp") rep = "&";
        else if (ent == "lt") rep = "<";
        else if (ent == "gt") rep = ">";
        else if (ent == "quot") rep = "\"";
        else if (ent == "apos") rep = "'";
        else if (ent == "nbsp") rep = " ";
        if (rep) {
          out += rep;
          i = semi;
          continue;
        }
        if (!ent.empty() && ent[0] == '#') {
          const bool hex = ent.size() > 1 && ent[1] == 'x';
          const uint32_t cp = static_cast<uint32_t>(std::strtoul(ent.c_str() + (hex ? 2 : 1), nullptr, hex ? 16 : 10));
          utf8_append(&out, cp);
          i = semi;
          continue;
        }
      }
    }
    out += s[i];
  }
  return out;
}

std::string collapse(const std::string& s) {
  std::string out;
  int newlines = 0;
  bool space = false;
  for (char c : s) {
    if (c == '\n') {
      ++newlines;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') {
      space = true;
      continue;
    }
    if (!out.empty()) {
      if (newlines > 0) out += "\n\n";
      else if (space) out += ' ';
    }
    newlines = 0;
    space = false;
    out += c;
  }
  return out;
}

}  // namespace

std::string html_to_text_basic(std::string_view html, std::string* title) {
  std::string text;  // raw text with '\n' marking block boundaries
  std::string title_text;
  size_t i = 0;
  bool in_title = false;
  while (i < html.size()) {
    if (html[i] != '<') {
      const size_t next = std::min(html.find('<', i), html.size());
      const std::string_view piece = html.substr(i, next - i);
      if (in_title) {
        title_text.append(piece);
      } else {
        for (char c : piece) text += (c == '\n' || c == '\r') ? ' ' : c;
      }
      i = next;
      continue;
    }
    if (html.substr(i, 4) == "<!--") {
      const size_t end = html.find("-->", i + 4);
      i = end == std::string_view::npos ? html.size() : end + 3;
      continue;
    }
    const size_t close = html.find('>', i);
    if (close == std::string_view::npos) break;
    std::string_view tag = html.substr(i + 1, close - i - 1);
    const bool closing = !tag.empty() && tag[0] == '/';
    if (closing) tag.remove_prefix(1);
    size_t name_end = 0;
    while (name_end < tag.size() && (std::isalnum(static_cast<unsigned char>(tag[name_end])))) ++name_end;
    const std::string name = ascii_lower(tag.substr(0, name_end));
    i = close + 1;
    if (name == "title") {
      in_title = !closing;
      continue;
    }
    if (!closing && is_skipped(name) && !(tag.size() > 0 && tag.back() == '/')) {
      // Skip to the matching close tag (nesting of the same element counted).
      int depth = 1;
      size_t j = i;
      while (depth > 0 && j < html.size()) {
        const size_t lt = html.find('<', j);
        if (lt == std::string_view::npos) {
          j = html.size();
          break;
        }
        const bool is_close = lt + 1 < html.size() && html[lt + 1] == '/';
        const size_t nb = lt + (is_close ? 2 : 1);
        if (ascii_lower(html.substr(nb, name.size())) == name &&
            (nb + name.size() >= html.size() || !std::isalnum(static_cast<unsigned char>(html[nb + name.size()])))) {
          // script/style bodies never nest; other skipped elements may.
          if (is_close) --depth;
          else if (name != "script" && name != "style") ++depth;
        }
        const size_t gt = html.find('>', lt);
        j = gt == std::string_view::npos ? html.size() : gt + 1;
      }
      i = j;
      continue;
    }
    if (is_block(name)) text += '\n';
    else text += ' ';
  }
  if (title) *title = collapse(decode_text(title_text));
  return collapse(decode_text(text));
}

}  // namespace owlet::kb
