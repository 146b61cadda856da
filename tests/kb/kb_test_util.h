// Helpers for kb tests: a deterministic embedding function and small corpora.
#pragma once

#include <xxhash.h>

#include <cctype>
#include <string>
#include <vector>

#include "kb/embedder.h"
#include "kb/text.h"

namespace owlet::kb::testing {

// Feature hashing of lower-cased words (and CJK characters) into `dim` buckets with
// a sign bit: texts sharing words get a high cosine. A real, if crude, embedder.
inline std::vector<float> hash_embed(const std::string& text, int dim) {
  std::vector<float> v(static_cast<size_t>(dim), 0.0f);
  std::string w;
  auto flush = [&] {
    if (w.empty()) return;
    const uint64_t h = XXH3_64bits(w.data(), w.size());
    v[h % static_cast<uint64_t>(dim)] += (h >> 63) ? 1.0f : -1.0f;
    w.clear();
  };
  size_t i = 0;
  while (i < text.size()) {
    const size_t s = i;
    const char32_t cp = utf8_next(text, i);
    if (is_cjk(cp)) {
      flush();
      w = text.substr(s, i - s);
      flush();
    } else if (is_word_char(cp)) {
      for (size_t k = s; k < i; ++k) w += static_cast<char>(std::tolower(static_cast<unsigned char>(text[k])));
    } else {
      flush();
    }
  }
  flush();
  return v;
}

inline Embedder hashing_embedder(int dim = 64, std::string id = "hash-64", int* calls = nullptr) {
  Embedder e;
  e.id = std::move(id);
  e.dim = dim;
  e.embed = [dim, calls](const std::vector<std::string>& texts) {
    if (calls) *calls += static_cast<int>(texts.size());
    std::vector<std::vector<float>> out;
    for (const auto& t : texts) out.push_back(hash_embed(t, dim));
    return out;
  };
  return e;
}

}  // namespace owlet::kb::testing
