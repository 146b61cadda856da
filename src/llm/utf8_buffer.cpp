#include "llm/utf8_buffer.h"

namespace owlet::llm {

size_t utf8_complete_prefix(const std::string& s) {
  // Look back at most 3 bytes for the lead byte of the last sequence.
  size_t n = s.size();
  for (size_t back = 1; back <= 4 && back <= n; ++back) {
    unsigned char c = static_cast<unsigned char>(s[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte
    size_t need = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
    return back >= need ? n : n - back;
  }
  return n;  // only continuation bytes: invalid, pass through rather than stall
}

std::string Utf8Buffer::push(const std::string& bytes) {
  pending_ += bytes;
  size_t k = utf8_complete_prefix(pending_);
  std::string out = pending_.substr(0, k);
  pending_.erase(0, k);
  return out;
}

std::string Utf8Buffer::flush() {
  std::string out;
  out.swap(pending_);
  return out;
}

}  // namespace owlet::llm
