#include "answer/source_text.h"

#include <vector>

#include "common/text.h"

namespace owlet::answer {

namespace {

// -1 for an opening angle bracket, +1 for a closing one, 0 otherwise.
int angle(char32_t cp) {
  switch (cp) {
    case U'<': case U'\uFF1C': case U'\uFE64': case U'\u2039': case U'\u3008': case U'\u27E8': return -1;
    case U'>': case U'\uFF1E': case U'\uFE65': case U'\u203A': case U'\u3009': case U'\u27E9': return 1;
    default: return 0;
  }
}

bool is_space_or_control(char32_t cp) {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || cp == 0x2028 || cp == 0x2029;
}

// Length (in code points) of a numeric marker at cps[i]: "[12]", "[1, 2]", "【3】"; 0 if none.
size_t marker_length(const std::vector<char32_t>& cps, size_t i) {
  const char32_t open = cps[i];
  const char32_t close = open == U'[' ? U']' : open == U'\u3010' ? U'\u3011' : 0;
  if (!close) return 0;
  size_t j = i + 1;
  bool digit = false;
  while (j < cps.size() && j - i < 24) {
    const char32_t c = cps[j];
    if (c >= U'0' && c <= U'9') {
      digit = true;
    } else if (c == close) {
      return digit ? j - i + 1 : 0;
    } else if (c != U',' && c != U' ' && c != U'-' && c != U'\u3001' && c != U'\uFF0C') {
      return 0;
    }
    ++j;
  }
  return 0;
}

// Pass 1: markers and control characters out, whitespace collapsed. Removing a
// marker can join text into a new one ("[[1]2]" -> "[2]"), so it repeats until stable.
std::vector<char32_t> strip_markers(std::vector<char32_t> cps) {
  for (bool changed = true; changed;) {
    changed = false;
    std::vector<char32_t> out;
    out.reserve(cps.size());
    bool pending_space = false;
    for (size_t i = 0; i < cps.size();) {
      const char32_t cp = cps[i];
      if (is_space_or_control(cp) || cp == U' ') {
        pending_space = !out.empty();
        ++i;
        continue;
      }
      if (const size_t m = marker_length(cps, i)) {
        i += m;
        changed = true;
        continue;
      }
      if (pending_space) out.push_back(U' '), pending_space = false;
      out.push_back(cp);
      ++i;
    }
    cps.swap(out);
  }
  return cps;
}

}  // namespace

std::string neutralize_source_text(std::string_view raw) {
  const std::string text = owlet::utf8_sanitize(raw);
  std::vector<char32_t> cps;
  for (size_t i = 0; i < text.size();) cps.push_back(owlet::utf8_next(text, i));
  cps = strip_markers(std::move(cps));
  // Pass 2: a run like "<<<" or ">>>" could pass for a delimiter: one guillemet per direction.
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < cps.size();) {
    if (angle(cps[i]) == 0) {
      utf8_append(&out, cps[i++]);
      continue;
    }
    size_t j = i;
    while (j < cps.size() && angle(cps[j]) != 0) ++j;
    if (j - i == 1) {
      utf8_append(&out, cps[i]);
    } else {
      bool opens = false, closes = false;
      for (size_t k = i; k < j; ++k) (angle(cps[k]) < 0 ? opens : closes) = true;
      if (opens) out += "\u2039";
      if (closes) out += "\u203A";
    }
    i = j;
  }
  return out;
}

}  // namespace owlet::answer
