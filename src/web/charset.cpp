#include "web/charset.h"
#include "common/strings.h"

#include <unicode/ucnv.h>
#include <unicode/ucsdet.h>
#include <unicode/ustring.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <vector>

namespace owlet::web {
namespace {

std::string trim_label(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (std::isspace(static_cast<unsigned char>(s[b])) || s[b] == '"' || s[b] == '\'')) ++b;
  while (e > b && (std::isspace(static_cast<unsigned char>(s[e - 1])) || s[e - 1] == '"' || s[e - 1] == '\'')) --e;
  return ascii_lower(s.substr(b, e - b));
}

// Length of the valid UTF-8 sequence at p (1..4), or 0 if invalid there.
size_t utf8_seq_len(const unsigned char* p, size_t n) {
  unsigned char c = p[0];
  if (c < 0x80) return 1;
  size_t len;
  unsigned min;
  unsigned cp;
  if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; min = 0x80; }
  else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; min = 0x800; }
  else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; min = 0x10000; }
  else return 0;
  if (n < len) return 0;
  for (size_t i = 1; i < len; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

}  // namespace

bool is_valid_utf8(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t n = bytes.size(), i = 0;
  while (i < n) {
    size_t len = utf8_seq_len(p + i, n - i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

std::string sanitize_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t n = bytes.size(), i = 0;
  while (i < n) {
    size_t len = utf8_seq_len(p + i, n - i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(bytes.data() + i, len);
      i += len;
    }
  }
  return out;
}

std::string charset_from_content_type(std::string_view content_type) {
  std::string ct = ascii_lower(content_type);
  size_t pos = ct.find("charset=");
  if (pos == std::string::npos) return {};
  std::string_view rest = std::string_view(ct).substr(pos + 8);
  size_t end = rest.find_first_of(";, ");
  return trim_label(rest.substr(0, end));
}

std::string sniff_meta_charset(std::string_view html) {
  std::string head = ascii_lower(html.substr(0, 4096));
  size_t pos = 0;
  while ((pos = head.find("<meta", pos)) != std::string::npos) {
    size_t end = head.find('>', pos);
    if (end == std::string::npos) break;
    std::string_view tag = std::string_view(head).substr(pos, end - pos);
    size_t cs = tag.find("charset");
    if (cs != std::string::npos) {
      size_t eq = tag.find('=', cs);
      if (eq != std::string::npos) {
        std::string_view v = tag.substr(eq + 1);
        while (!v.empty() && (v.front() == ' ' || v.front() == '"' || v.front() == '\'')) v.remove_prefix(1);
        size_t stop = v.find_first_of("\"'; />");
        std::string label = trim_label(v.substr(0, stop));
        if (!label.empty()) return label;
      }
    }
    pos = end;
  }
  return {};
}

std::string normalize_charset_label(std::string_view label_in) {
  std::string l = trim_label(label_in);
  if (l.empty()) return {};
  struct Alias {
    const char* label;
    const char* icu;
  };
  // WHATWG maps several legacy labels onto supersets; ICU decodes those supersets.
  static const Alias kAliases[] = {
      {"utf-8", "UTF-8"}, {"utf8", "UTF-8"}, {"unicode-1-1-utf-8", "UTF-8"},
      {"gbk", "GB18030"}, {"gb2312", "GB18030"}, {"gb18030", "GB18030"}, {"x-gbk", "GB18030"},
      {"gb_2312-80", "GB18030"}, {"chinese", "GB18030"}, {"csgb2312", "GB18030"}, {"iso-ir-58", "GB18030"},
      {"big5", "Big5-HKSCS"}, {"big5-hkscs", "Big5-HKSCS"}, {"cn-big5", "Big5-HKSCS"}, {"x-x-big5", "Big5-HKSCS"},
      {"csbig5", "Big5-HKSCS"},
      {"shift_jis", "windows-31j"}, {"shift-jis", "windows-31j"}, {"sjis", "windows-31j"}, {"x-sjis", "windows-31j"},
      {"ms_kanji", "windows-31j"}, {"windows-31j", "windows-31j"}, {"csshiftjis", "windows-31j"},
      {"euc-jp", "EUC-JP"}, {"iso-2022-jp", "ISO-2022-JP"},
      {"euc-kr", "windows-949"}, {"ks_c_5601-1987", "windows-949"}, {"windows-949", "windows-949"}, {"cseuckr", "windows-949"},
      {"iso-8859-1", "windows-1252"}, {"latin1", "windows-1252"}, {"l1", "windows-1252"}, {"ascii", "windows-1252"},
      {"us-ascii", "windows-1252"}, {"windows-1252", "windows-1252"}, {"cp1252", "windows-1252"},
      {"koi8-r", "KOI8-R"}, {"koi8-u", "KOI8-U"},
  };
  for (const auto& a : kAliases)
    if (l == a.label) return a.icu;
  // utf-16 declared inside an 8-bit document can only be wrong; browsers use UTF-8.
  if (l.rfind("utf-16", 0) == 0) return "UTF-8";
  // Anything else ICU knows (iso-8859-x, windows-125x, ...).
  UErrorCode st = U_ZERO_ERROR;
  const char* canon = ucnv_getCanonicalName(l.c_str(), "", &st);
  if (U_SUCCESS(st) && canon != nullptr && *canon) return l;
  UConverter* c = ucnv_open(l.c_str(), &st);
  if (U_FAILURE(st) || c == nullptr) return {};
  ucnv_close(c);
  return l;
}

std::string convert_to_utf8(std::string_view bytes, const std::string& icu_charset, bool* ok) {
  if (ok) *ok = true;
  if (icu_charset == "UTF-8") return sanitize_utf8(bytes);
  UErrorCode st = U_ZERO_ERROR;
  std::unique_ptr<UConverter, void (*)(UConverter*)> conv(ucnv_open(icu_charset.c_str(), &st), ucnv_close);
  if (U_FAILURE(st) || !conv) {
    if (ok) *ok = false;
    return sanitize_utf8(bytes);
  }
  // Undecodable bytes become U+FFFD (the substitute callback's default).
  std::vector<UChar> u16(bytes.size() * 2 + 16);
  st = U_ZERO_ERROR;
  int32_t n16 = ucnv_toUChars(conv.get(), u16.data(), static_cast<int32_t>(u16.size()), bytes.data(),
                              static_cast<int32_t>(bytes.size()), &st);
  if (st == U_BUFFER_OVERFLOW_ERROR) {
    u16.resize(static_cast<size_t>(n16) + 1);
    st = U_ZERO_ERROR;
    n16 = ucnv_toUChars(conv.get(), u16.data(), static_cast<int32_t>(u16.size()), bytes.data(),
                        static_cast<int32_t>(bytes.size()), &st);
  }
  if (U_FAILURE(st)) {
    if (ok) *ok = false;
    return sanitize_utf8(bytes);
  }
  // ICU substitutes U+001A for some single-byte code pages; make it U+FFFD.
  for (int32_t i = 0; i < n16; ++i)
    if (u16[static_cast<size_t>(i)] == 0x1A) u16[static_cast<size_t>(i)] = 0xFFFD;
  std::string out(static_cast<size_t>(n16) * 3 + 4, '\0');
  int32_t n8 = 0;
  st = U_ZERO_ERROR;
  u_strToUTF8WithSub(out.data(), static_cast<int32_t>(out.size()), &n8, u16.data(), n16, 0xFFFD, nullptr, &st);
  if (U_FAILURE(st)) {
    if (ok) *ok = false;
    return sanitize_utf8(bytes);
  }
  out.resize(static_cast<size_t>(n8));
  return out;
}

bool is_textual_content_type(std::string_view content_type) {
  std::string ct = ascii_lower(content_type);
  ct = ct.substr(0, ct.find(';'));
  if (ct.empty()) return true;  // unknown: try, decoding is safe
  return ct.rfind("text/", 0) == 0 || ct.find("html") != std::string::npos || ct.find("xml") != std::string::npos ||
         ct.find("json") != std::string::npos || ct.find("javascript") != std::string::npos;
}

DecodedText decode_to_utf8(std::string_view bytes, std::string_view content_type) {
  DecodedText r;
  auto use = [&](std::string_view data, const std::string& cs, const char* source) {
    bool ok = false;
    r.text = convert_to_utf8(data, cs, &ok);
    r.charset = ok ? cs : "UTF-8";
    r.source = source;
  };
  if (bytes.size() >= 3 && bytes.substr(0, 3) == "\xEF\xBB\xBF") {
    use(bytes.substr(3), "UTF-8", "bom");
    return r;
  }
  if (bytes.size() >= 2 && (bytes.substr(0, 2) == "\xFF\xFE" || bytes.substr(0, 2) == "\xFE\xFF")) {
    use(bytes, bytes[0] == '\xFF' ? "UTF-16LE" : "UTF-16BE", "bom");
    return r;
  }
  if (std::string cs = normalize_charset_label(charset_from_content_type(content_type)); !cs.empty()) {
    use(bytes, cs, "header");
    return r;
  }
  if (std::string cs = normalize_charset_label(sniff_meta_charset(bytes)); !cs.empty()) {
    use(bytes, cs, "meta");
    return r;
  }
  if (is_valid_utf8(bytes)) {
    r.text = std::string(bytes);
    r.charset = "UTF-8";
    r.source = "utf8";
    return r;
  }
  UErrorCode st = U_ZERO_ERROR;
  UCharsetDetector* det = ucsdet_open(&st);
  std::string detected;
  if (U_SUCCESS(st)) {
    ucsdet_enableInputFilter(det, true);  // ignore markup when counting
    size_t n = std::min<size_t>(bytes.size(), 64 * 1024);
    ucsdet_setText(det, bytes.data(), static_cast<int32_t>(n), &st);
    const UCharsetMatch* m = U_SUCCESS(st) ? ucsdet_detect(det, &st) : nullptr;
    if (m != nullptr && U_SUCCESS(st) && ucsdet_getConfidence(m, &st) >= 10) {
      const char* name = ucsdet_getName(m, &st);
      if (U_SUCCESS(st) && name != nullptr) detected = normalize_charset_label(name);
      if (detected.empty() && name != nullptr) detected = name;
    }
    ucsdet_close(det);
  }
  if (!detected.empty()) {
    use(bytes, detected, "detected");
    return r;
  }
  use(bytes, "windows-1252", "default");
  return r;
}

}  // namespace owlet::web
