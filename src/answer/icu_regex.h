// A case-insensitive ICU regular expression compiled once and shared by threads
// (ICU patterns are immutable; each search makes its own matcher). Used for the
// router's cue lexicons, which must match English and Chinese alike.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <unicode/regex.h>

namespace owlet::answer {

class IcuRegex {
 public:
  explicit IcuRegex(std::string_view pattern);  // invalid pattern: never matches (ok() false)
  ~IcuRegex();
  IcuRegex(const IcuRegex&) = delete;
  IcuRegex& operator=(const IcuRegex&) = delete;

  bool ok() const { return pattern_ != nullptr; }

  // The first match in `text` as UTF-8 ("" and false when none).
  bool find(std::string_view text, std::string* match = nullptr) const;

  // Every match: element 0 is the whole match, then each capture group ("" when unset).
  std::vector<std::vector<std::string>> find_all(std::string_view text) const;

 private:
  std::unique_ptr<icu::RegexPattern> pattern_;
};

}  // namespace owlet::answer
