#include "common/simhash.h"

#include <xxhash.h>

#include <array>
#include <string>
#include <vector>

#include "common/text.h"

namespace owlet {

SimhashResult simhash(std::string_view text) {
  // Words are lower-cased ASCII / raw other scripts; punctuation and case do not
  // make two copies of a page different.
  std::vector<uint64_t> words;
  std::string w;
  auto flush = [&] {
    if (!w.empty()) words.push_back(XXH3_64bits(w.data(), w.size()));
    w.clear();
  };
  size_t i = 0;
  while (i < text.size()) {
    const size_t s = i;
    const char32_t cp = utf8_next(text, i);
    if (is_cjk(cp)) {
      flush();
      w.append(text.substr(s, i - s));
      flush();
    } else if (is_word_char(cp)) {
      if (cp < 0x80) {
        w += static_cast<char>((cp >= 'A' && cp <= 'Z') ? cp + 32 : cp);
      } else {
        w.append(text.substr(s, i - s));
      }
    } else {
      flush();
    }
  }
  flush();

  SimhashResult r;
  if (words.empty()) return r;
  std::array<int64_t, 64> acc{};
  const size_t n = words.size() < 3 ? 1 : words.size() - 2;
  for (size_t k = 0; k < n; ++k) {
    uint64_t parts[3] = {words[k], k + 1 < words.size() ? words[k + 1] : 0, k + 2 < words.size() ? words[k + 2] : 0};
    const uint64_t h = XXH3_64bits(parts, sizeof(parts));
    for (int b = 0; b < 64; ++b) acc[b] += (h >> b) & 1 ? 1 : -1;
  }
  for (int b = 0; b < 64; ++b)
    if (acc[b] > 0) r.hash |= uint64_t{1} << b;
  r.shingles = static_cast<int>(n);
  return r;
}

}  // namespace owlet
