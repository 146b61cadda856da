#include "llm/prompt_text.h"

#include <llama.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>

namespace owlet::llm {
namespace {

std::vector<llama_token> tokenize(const llama_vocab* vocab, const char* text, size_t len, bool add_special,
                                  bool parse_special) {
  const int32_t n_text = static_cast<int32_t>(len);
  int n = -llama_tokenize(vocab, text, n_text, nullptr, 0, add_special, parse_special);
  std::vector<llama_token> toks(static_cast<size_t>(std::max(n, 0)));
  if (n > 0) llama_tokenize(vocab, text, n_text, toks.data(), n, add_special, parse_special);
  return toks;
}

// Letters and digits only, so no template filter (trim, escaping) changes it, and
// unique per call so no message text can contain it by chance.
std::string make_placeholder(size_t index) {
  static std::atomic<unsigned long long> counter{0};
  unsigned long long salt =
      static_cast<unsigned long long>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
      (counter.fetch_add(1) * 0x9E3779B97F4A7C15ull);
  char buf[64];
  snprintf(buf, sizeof buf, "OWLETTEXT%zuX%016llxZ", index, salt);
  return buf;
}

}  // namespace

bool has_control_token_text(const llama_vocab* vocab, const std::string& text) {
  if (!vocab) return false;  // a template read from metadata alone (ChatTemplate::from_gguf) tokenizes nothing
  for (llama_token t : tokenize(vocab, text.data(), text.size(), false, true))
    if (llama_vocab_get_attr(vocab, t) & (LLAMA_TOKEN_ATTR_CONTROL | LLAMA_TOKEN_ATTR_UNKNOWN)) return true;
  return false;
}

std::vector<IsolatedText> isolate_control_text(const llama_vocab* vocab, const std::vector<std::string*>& contents) {
  std::vector<IsolatedText> out(contents.size());
  for (size_t i = 0; i < contents.size(); ++i) {
    std::string& c = *contents[i];
    if (!has_control_token_text(vocab, c)) continue;
    const char* ws = " \t\r\n";
    size_t b = c.find_first_not_of(ws);
    size_t e = c.find_last_not_of(ws) + 1;
    out[i].placeholder = make_placeholder(i);
    out[i].text = c.substr(b, e - b);  // has a control token, so not all white space
    c = c.substr(0, b) + out[i].placeholder + c.substr(e);
  }
  return out;
}

std::vector<TextSpan> restore_isolated_text(std::string* prompt, const std::vector<IsolatedText>& isolated) {
  // Rebuild the prompt left to right, so every recorded offset is final.
  struct Hit {
    size_t pos;
    size_t index;
  };
  std::vector<Hit> hits;
  for (size_t i = 0; i < isolated.size(); ++i) {
    const std::string& ph = isolated[i].placeholder;
    if (ph.empty()) continue;
    for (size_t p = prompt->find(ph); p != std::string::npos; p = prompt->find(ph, p + ph.size())) hits.push_back({p, i});
  }
  if (hits.empty()) return {};
  std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) { return a.pos < b.pos; });
  std::string out;
  std::vector<TextSpan> spans;
  size_t from = 0;
  for (const Hit& h : hits) {
    const IsolatedText& it = isolated[h.index];
    out.append(*prompt, from, h.pos - from);
    spans.push_back({out.size(), out.size() + it.text.size()});
    out += it.text;
    from = h.pos + it.placeholder.size();
  }
  out.append(*prompt, from, std::string::npos);
  *prompt = std::move(out);
  return spans;
}

std::vector<int> tokenize_prompt(const llama_vocab* vocab, const std::string& prompt,
                                 const std::vector<TextSpan>& text_spans, bool add_special) {
  std::vector<int> out;
  size_t at = 0;
  bool first = true;
  auto piece = [&](size_t begin, size_t end, bool parse_special) {
    if (end <= begin && !(first && add_special)) return;
    auto t = tokenize(vocab, prompt.data() + begin, end - begin, first && add_special, parse_special);
    out.insert(out.end(), t.begin(), t.end());
    first = false;
  };
  for (const TextSpan& s : text_spans) {
    if (s.begin < at || s.end > prompt.size() || s.end < s.begin) continue;  // malformed: keep the template's view
    piece(at, s.begin, true);
    piece(s.begin, s.end, false);
    at = s.end;
  }
  piece(at, prompt.size(), true);
  return out;
}

}  // namespace owlet::llm
