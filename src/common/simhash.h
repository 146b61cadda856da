// Near-duplicate fingerprints: 64-bit simhash over 3-word shingles (CJK characters
// count as words), so mirrored or lightly edited copies of a page land within a
// few bits of each other.
#pragma once

#include <cstdint>
#include <string_view>

namespace owlet {

struct SimhashResult {
  uint64_t hash = 0;
  int shingles = 0;  // how many shingles fed the hash; few means unreliable
};

SimhashResult simhash(std::string_view text);

inline int hamming_distance(uint64_t a, uint64_t b) { return __builtin_popcountll(a ^ b); }

}  // namespace owlet
