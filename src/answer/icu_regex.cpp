#include "answer/icu_regex.h"

#include <unicode/regex.h>
#include <unicode/unistr.h>

namespace owlet::answer {

namespace {

std::string to_utf8(const icu::UnicodeString& s) {
  std::string out;
  s.toUTF8String(out);
  return out;
}

}  // namespace

IcuRegex::IcuRegex(std::string_view pattern) {
  UErrorCode status = U_ZERO_ERROR;
  UParseError parse_error;
  const icu::UnicodeString re = icu::UnicodeString::fromUTF8(icu::StringPiece(pattern.data(), static_cast<int32_t>(pattern.size())));
  pattern_.reset(icu::RegexPattern::compile(re, UREGEX_CASE_INSENSITIVE, parse_error, status));
  if (U_FAILURE(status)) pattern_.reset();
}

IcuRegex::~IcuRegex() = default;

bool IcuRegex::find(std::string_view text, std::string* match) const {
  if (match) match->clear();
  if (!pattern_) return false;
  UErrorCode status = U_ZERO_ERROR;
  const icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  std::unique_ptr<icu::RegexMatcher> m(pattern_->matcher(u, status));
  if (U_FAILURE(status) || !m) return false;
  if (!m->find(status) || U_FAILURE(status)) return false;
  if (match) *match = to_utf8(m->group(status));
  return true;
}

std::vector<std::vector<std::string>> IcuRegex::find_all(std::string_view text) const {
  std::vector<std::vector<std::string>> out;
  if (!pattern_) return out;
  UErrorCode status = U_ZERO_ERROR;
  const icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  std::unique_ptr<icu::RegexMatcher> m(pattern_->matcher(u, status));
  if (U_FAILURE(status) || !m) return out;
  while (m->find(status) && U_SUCCESS(status)) {
    std::vector<std::string> groups;
    for (int32_t g = 0; g <= m->groupCount(); ++g) {
      UErrorCode gs = U_ZERO_ERROR;
      const icu::UnicodeString v = m->group(g, gs);
      groups.push_back(U_SUCCESS(gs) ? to_utf8(v) : std::string());
    }
    out.push_back(std::move(groups));
  }
  return out;
}

}  // namespace owlet::answer
