#include "kb/text.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

namespace owlet::kb {

std::string normalize_question(std::string_view question) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(status);
  const std::string clean = utf8_sanitize(question);
  std::string folded;
  if (U_SUCCESS(status)) {
    icu::UnicodeString u = icu::UnicodeString::fromUTF8(clean);
    icu::UnicodeString n = nfkc_cf->normalize(u, status);
    if (U_SUCCESS(status)) n.toUTF8String(folded);
  }
  if (folded.empty()) folded = clean;
  std::string out;
  bool pending_space = false;
  size_t i = 0;
  while (i < folded.size()) {
    const size_t start = i;
    const char32_t cp = utf8_next(folded, i);
    if (u_isspace(static_cast<UChar32>(cp))) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out.append(folded, start, i - start);
  }
  // Drop trailing punctuation: "?" vs "？" vs nothing must not split the cache.
  while (!out.empty()) {
    size_t j = out.size() - 1;
    while (j > 0 && (static_cast<unsigned char>(out[j]) & 0xC0) == 0x80) --j;
    size_t k = j;
    const char32_t cp = utf8_next(out, k);
    if (!u_ispunct(static_cast<UChar32>(cp)) && !u_isspace(static_cast<UChar32>(cp))) break;
    out.resize(j);
  }
  return out;
}

}  // namespace owlet::kb
