// The answer-cache entries owlet-ops-cache-writer writes, so the crash test can
// check each survivor byte for byte.
#pragma once

#include <string>

namespace owlet::test {

inline std::string crash_question(long i) { return "crash question " + std::to_string(i) + "?"; }

// Long enough that WAL pages fill and checkpoints run while the writer is killed.
inline std::string crash_answer(long i, size_t bytes) {
  std::string a = "answer " + std::to_string(i) + ":";
  while (a.size() < bytes) a += " token" + std::to_string((i * 7919 + static_cast<long>(a.size())) % 100003);
  a.resize(bytes);
  return a;
}

inline std::string crash_sources(long i) {
  return "[{\"n\":1,\"url\":\"https://example.com/" + std::to_string(i) + "\"}]";
}

}  // namespace owlet::test
