#include "answer/route_features.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "answer/prompt_parts.h"
#include "answer/zh_lexicon.h"
#include "common/text.h"

namespace owlet::answer {
namespace {

constexpr size_t kMaxAskBytes = 1000;  // features read the start of a long ask; enough to know what it asks

bool is_apostrophe(char32_t cp) { return cp == '\'' || cp == 0x2019; }

// Tokens of the ask in reading order: lower-cased Latin/digit words ("what's" stays
// whole) and, in the concept view, the concept words of each CJK run.
std::vector<std::string> tokens_of(std::string_view text, FeatureView view) {
  std::vector<std::string> out;
  std::string word;
  size_t run_start = std::string_view::npos;
  auto end_word = [&] {
    if (!word.empty()) out.push_back(std::move(word));
    word.clear();
  };
  auto end_run = [&](size_t at) {
    if (run_start == std::string_view::npos) return;
    if (view == FeatureView::concepts)
      for (std::string& c : zh_concepts(text.substr(run_start, at - run_start))) out.push_back(std::move(c));
    run_start = std::string_view::npos;
  };
  size_t i = 0;
  while (i < text.size()) {
    const size_t at = i;
    const char32_t cp = utf8_next(text, i);
    if (is_cjk(cp)) {
      end_word();
      if (run_start == std::string_view::npos) run_start = at;
      continue;
    }
    end_run(at);
    if (is_word_char(cp)) {
      if (cp < 0x80) word += static_cast<char>(cp >= 'A' && cp <= 'Z' ? cp - 'A' + 'a' : cp);
      else word.append(text.substr(at, i - at));
    } else if (is_apostrophe(cp) && !word.empty() && i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) {
      word += '\'';
    } else {
      end_word();
    }
  }
  end_word();
  end_run(text.size());
  return out;
}

}  // namespace

const char* to_string(FeatureView v) { return v == FeatureView::concepts ? "concepts" : "words"; }

FeatureView view_for(std::string_view prompt) {
  return detect_language(prompt) == "zh" ? FeatureView::concepts : FeatureView::words;
}

std::vector<std::string> route_features(std::string_view prompt, int64_t now, FeatureView view,
                                        const RouterOptions& options) {
  return route_features(prompt, split_prompt(prompt), now, view, options);
}

std::vector<std::string> route_features(std::string_view prompt, const PromptParts& parts, int64_t now,
                                        FeatureView view, const RouterOptions& options) {
  const std::string_view ask = utf8_prefix(parts.ask, kMaxAskBytes);
  std::vector<std::string> f{"bias"};
  auto add = [&f](std::string name) {
    if (std::find(f.begin(), f.end(), name) == f.end()) f.push_back(std::move(name));
  };
  const std::vector<std::string> toks = tokens_of(ask, view);
  if (view == FeatureView::words) {
    std::string prev = "<s>";
    for (const std::string& t : toks) {
      add("w:" + t);
      add("b:" + prev + "_" + t);
      prev = t;
    }
    if (!toks.empty()) add("f:" + toks[0]);
    if (toks.size() > 1) add("f2:" + toks[0] + "_" + toks[1]);
  } else {
    for (const std::string& t : toks)
      if (is_concept_word(t)) add("w:" + t);
  }
  for (std::string& c : cue_features(ask, now, options)) add(std::move(c));
  // Length in English words: a Chinese word is about 1.6 characters, and the length
  // weights were learned on English.
  int cjk = 0;
  for (size_t i = 0; i < prompt.size();) cjk += is_cjk(utf8_next(prompt, i));
  const double words = parts.words - cjk + cjk / 1.6;
  const int bucket = std::min(8, static_cast<int>(std::log2(words + 1.0)));
  add("s:len" + std::to_string(bucket));
  if (parts.code) add("s:code");
  if (parts.quoted) add("s:quoted");
  if (parts.document) add("s:document");
  if (count_words(ask) == 0) add("s:noask");
  return f;
}

std::string describe_feature(std::string_view name) {
  auto tail = [&](size_t n) { return std::string(name.substr(n)); };
  auto spaced = [](std::string s) {
    std::replace(s.begin(), s.end(), '_', ' ');
    return s;
  };
  if (name.rfind("w:", 0) == 0) return "'" + tail(2) + "'";
  if (name.rfind("b:<s>_", 0) == 0) return "starts '" + tail(6) + "'";
  if (name.rfind("b:", 0) == 0) return "'" + spaced(tail(2)) + "'";
  if (name.rfind("f2:", 0) == 0) return "first words '" + spaced(tail(3)) + "'";
  if (name.rfind("f:", 0) == 0) return "first word '" + tail(2) + "'";
  if (name.rfind("r:", 0) == 0) return "rule " + tail(2);
  if (name == "d:near") return "a date near today";
  if (name == "d:past") return "a past date";
  if (name == "d:future") return "a future date";
  if (name.rfind("s:len", 0) == 0) return "length ~2^" + tail(5) + " words";
  if (name == "s:code") return "pasted code";
  if (name == "s:quoted") return "a quoted passage";
  if (name == "s:document") return "a pasted document";
  if (name == "s:noask") return "no question of its own";
  return std::string(name);
}

}  // namespace owlet::answer
