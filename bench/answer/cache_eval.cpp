// owlet-eval-cache: how well the answer cache's paraphrase matching keeps
// different questions apart (issue #25), old matcher against new, in one run.
//
//   owlet-eval-cache [--data ../shared/eval] [--requests 20000] [--seed 7]
//
// Questions: the training rows of ../shared/eval (needret train: open_qa and
// general_qa prompts without context; timesens: SituatedQA's train split).
//
// 1. Pairs of different questions that share most words:
//    natural — two questions of the data whose words overlap (Jaccard >= 0.6);
//    made    — a question with its question word swapped (why/when/whether/is),
//              a negation added, the tense changed, a number changed, one key
//              word replaced by another question's, or two names swapped.
//    A match on any of them serves one question the other's answer. The
//    figure is the share kept apart ("precision on different-question pairs").
//    Then true paraphrases (case and punctuation, politeness, contractions, an
//    article dropped): the share matched (recall), and precision over both.
// 2. A repeated-question workload: --requests asks drawn Zipf-like from 2,000
//    questions, each asked verbatim (55 %), with other case/punctuation (20 %),
//    reworded politely or contracted (15 %), or as a near-miss different
//    question (10 %). Hit rate and wrong hits (a different question's answer)
//    of each matcher over the same sequence.
//
// Old matcher: the code before issue #25 (content-term Jaccard >= 0.8, numbers
// equal). New: answer/cache_index.h (same question shape).
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "answer/cache_index.h"
#include "common/search_terms.h"
#include "eval_data.h"
#include "kb/text.h"

using owlet::answer::paraphrase_signature;
using owlet::kb::normalize_question;
namespace eval = owlet::answer::eval;

namespace {

// --- the matcher before issue #25, as it was -------------------------------
std::set<std::string> old_terms(std::string_view q) {
  owlet::SearchTerms t = owlet::search_terms(q);
  std::set<std::string> out;
  for (const auto& w : t.latin) out.insert(owlet::index_term(w));
  for (const auto& w : t.cjk) out.insert(w);
  for (const auto& w : t.cjk_prefix) out.insert(w);
  return out;
}
std::set<std::string> numbers_of(const std::set<std::string>& terms) {
  std::set<std::string> out;
  for (const auto& t : terms)
    if (!t.empty() && std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; })) out.insert(t);
  return out;
}
double jaccard(const std::set<std::string>& a, const std::set<std::string>& b) {
  if (a.empty() && b.empty()) return 0;
  size_t inter = 0;
  for (const auto& x : a) inter += b.count(x);
  return static_cast<double>(inter) / static_cast<double>(a.size() + b.size() - inter);
}
bool old_match(const std::string& asked, const std::string& cached) {
  if (normalize_question(asked) == normalize_question(cached)) return true;
  std::set<std::string> a = old_terms(asked), c = old_terms(normalize_question(cached));
  if (a.size() < 2) return false;
  return numbers_of(a) == numbers_of(c) && jaccard(a, c) >= 0.8;
}

// --- the matcher of issue #25 -------------------------------------------------
bool new_match(const std::string& asked, const std::string& cached) {
  const std::string a = normalize_question(asked), c = normalize_question(cached);
  if (a == c) return true;
  const std::string s = paraphrase_signature(a);
  return !s.empty() && s == paraphrase_signature(c);
}

// --- text helpers ----------------------------------------------------------
std::vector<std::string> words_of(const std::string& s) {
  std::vector<std::string> out;
  std::string w;
  for (char ch : s) {
    if (std::isalnum(static_cast<unsigned char>(ch)) || ch == '\'' || (ch & 0x80)) w += ch;
    else if (!w.empty()) out.push_back(w), w.clear();
  }
  if (!w.empty()) out.push_back(w);
  return out;
}
std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
std::string join(const std::vector<std::string>& w) {
  std::string s;
  for (const auto& x : w) s += (s.empty() ? "" : " ") + x;
  return s;
}
double word_jaccard(const std::string& a, const std::string& b) {
  std::vector<std::string> wa = words_of(lower(a)), wb = words_of(lower(b));
  std::set<std::string> sa(wa.begin(), wa.end()), sb(wb.begin(), wb.end());
  return jaccard(sa, sb);
}
bool is_number(const std::string& w) {
  return !w.empty() && std::all_of(w.begin(), w.end(), [](char c) { return c >= '0' && c <= '9'; });
}
const std::set<std::string> kFunction = {"the", "a", "an", "of", "in", "on", "at", "to", "for", "is", "are", "was",
                                         "were", "did", "does", "do", "who", "what", "when", "where", "why", "how",
                                         "which", "and", "or", "by", "with", "from", "that", "this", "it", "be"};

// Different questions made from one (kind, text); none when it does not apply.
std::vector<std::pair<std::string, std::string>> near_misses(const std::string& q, const std::string& other) {
  std::vector<std::pair<std::string, std::string>> out;
  std::vector<std::string> w = words_of(q);
  if (w.size() < 3) return out;
  const std::string first = lower(w[0]);
  // Question word: why / when / whether / is.
  static const std::map<std::string, std::string> swap = {{"when", "why"},  {"why", "when"},  {"who", "why"},
                                                          {"where", "why"}, {"what", "why"},  {"how", "why"},
                                                          {"is", "why is"}, {"are", "when are"}, {"was", "why was"},
                                                          {"did", "why did"}, {"does", "when does"}, {"do", "why do"}};
  if (auto it = swap.find(first); it != swap.end()) {
    std::vector<std::string> x = w;
    x[0] = it->second;
    out.push_back({"question word", join(x)});
  }
  // Negation and tense, at the first auxiliary.
  static const std::map<std::string, std::string> tense = {{"is", "was"}, {"was", "is"}, {"are", "were"},
                                                           {"were", "are"}, {"did", "does"}, {"does", "did"}};
  for (size_t i = 0; i < w.size(); ++i) {
    auto it = tense.find(lower(w[i]));
    if (it == tense.end()) continue;
    std::vector<std::string> neg = w;
    neg[i] += " not";
    out.push_back({"negation", join(neg)});
    std::vector<std::string> t = w;
    t[i] = it->second;
    out.push_back({"tense", join(t)});
    break;
  }
  // A number changed.
  for (size_t i = 0; i < w.size(); ++i)
    if (is_number(w[i])) {
      std::vector<std::string> x = w;
      x[i] = std::to_string(std::stoll(w[i].substr(0, 9)) + 1);
      out.push_back({"number", join(x)});
      break;
    }
  // One key word replaced by the other question's longest key word.
  std::string repl;
  for (const auto& ow : words_of(other))
    if (!kFunction.count(lower(ow)) && ow.size() > repl.size() && !is_number(ow)) repl = ow;
  size_t longest = w.size();
  for (size_t i = 1; i < w.size(); ++i)
    if (!kFunction.count(lower(w[i])) && !is_number(w[i]) && (longest == w.size() || w[i].size() > w[longest].size()))
      longest = i;
  if (!repl.empty() && longest < w.size() && lower(repl) != lower(w[longest])) {
    std::vector<std::string> x = w;
    x[longest] = repl;
    out.push_back({"key word", join(x)});
  }
  // Two capitalized names swapped ("Did Spain beat Italy").
  std::vector<size_t> caps;
  for (size_t i = 1; i < w.size(); ++i)
    if (std::isupper(static_cast<unsigned char>(w[i][0])) && !kFunction.count(lower(w[i]))) caps.push_back(i);
  if (caps.size() >= 2 && lower(w[caps[0]]) != lower(w[caps[1]])) {
    std::vector<std::string> x = w;
    std::swap(x[caps[0]], x[caps[1]]);
    out.push_back({"names swapped", join(x)});
  }
  return out;
}

// The same question, reworded (kind, text).
std::vector<std::pair<std::string, std::string>> paraphrases(const std::string& q) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string l = lower(q);
  while (!l.empty() && (l.back() == '?' || l.back() == ' ' || l.back() == '.')) l.pop_back();
  out.push_back({"case, punctuation", "  " + l + " ?? "});
  out.push_back({"politeness", "Can you tell me " + l + ", please?"});
  std::string c = l;
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"what is ", "what's "}, {"who is ", "who's "}, {"is not ", "isn't "}, {"does not ", "doesn't "},
           {"do not ", "don't "}, {"where is ", "where's "}, {"how is ", "how's "}})
    if (auto p = c.find(from); p != std::string::npos) {
      c.replace(p, from.size(), to);
      break;
    }
  if (c != l) out.push_back({"contraction", c});
  if (auto p = l.find(" the "); p != std::string::npos) out.push_back({"article dropped", l.substr(0, p) + l.substr(p + 4)});
  return out;
}

struct Tally {
  long pairs = 0, old_hits = 0, new_hits = 0;
};

void print_tally(const char* head, const std::map<std::string, Tally>& by, bool negatives) {
  std::printf("%s\n  %-18s %8s %14s %14s\n", head, "kind", "pairs", negatives ? "old kept apart" : "old matched",
              negatives ? "new kept apart" : "new matched");
  Tally all;
  for (const auto& [k, t] : by) {
    auto pct = [&](long hits) { return 100.0 * (negatives ? t.pairs - hits : hits) / std::max(1L, t.pairs); };
    std::printf("  %-18s %8ld %13.2f%% %13.2f%%\n", k.c_str(), t.pairs, pct(t.old_hits), pct(t.new_hits));
    all.pairs += t.pairs, all.old_hits += t.old_hits, all.new_hits += t.new_hits;
  }
  auto pct = [&](long hits) { return 100.0 * (negatives ? all.pairs - hits : hits) / std::max(1L, all.pairs); };
  std::printf("  %-18s %8ld %13.2f%% %13.2f%%\n", "all", all.pairs, pct(all.old_hits), pct(all.new_hits));
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = eval::flag(argc, argv, "--data", OWLET_EVAL_DIR);
  const int requests = std::stoi(eval::flag(argc, argv, "--requests", "20000"));
  const unsigned seed = static_cast<unsigned>(std::stoul(eval::flag(argc, argv, "--seed", "7")));
  std::vector<std::string> qs;
  std::vector<nlohmann::json> rows;
  if (!eval::read_jsonl(dir + "/needret/train.jsonl", &rows)) return 1;
  for (const auto& r : rows)
    if (r.value("label", "") == "search" && !r.value("has_context", true)) qs.push_back(r.value("prompt", ""));
  rows.clear();
  if (!eval::read_jsonl(dir + "/timesens/situatedqa_temporal_id.jsonl", &rows)) return 1;
  for (const auto& r : rows)
    if (r.value("orig_split", "") == "train") qs.push_back(r.value("question", ""));
  std::set<std::string> seen;
  std::vector<std::string> uniq;
  for (auto& q : qs)
    if (q.size() < 300 && q.find('\n') == std::string::npos && seen.insert(normalize_question(q)).second)
      uniq.push_back(q);
  qs.swap(uniq);
  std::printf("questions: %zu (needret train search prompts + SituatedQA train)\n\n", qs.size());

  // 1a. Natural pairs: different questions sharing most of their words.
  std::map<std::string, Tally> neg, pos;
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> wrong_new;  // the new matcher's false matches
  {
    std::unordered_map<std::string, std::vector<size_t>> by_word;
    std::vector<std::vector<std::string>> ws(qs.size());
    for (size_t i = 0; i < qs.size(); ++i) {
      ws[i] = words_of(lower(qs[i]));
      std::set<std::string> u(ws[i].begin(), ws[i].end());
      for (const auto& w : u) by_word[w].push_back(i);
    }
    std::set<std::pair<size_t, size_t>> done;
    for (size_t i = 0; i < qs.size(); ++i) {
      // The question's rarest word picks its candidates.
      std::string rare;
      for (const auto& w : ws[i])
        if (rare.empty() || by_word[w].size() < by_word[rare].size()) rare = w;
      if (rare.empty() || by_word[rare].size() > 400) continue;
      for (size_t j : by_word[rare]) {
        if (j == i || !done.insert({std::min(i, j), std::max(i, j)}).second) continue;
        if (word_jaccard(qs[i], qs[j]) < 0.6) continue;
        Tally& t = neg["natural"];
        ++t.pairs;
        t.old_hits += old_match(qs[j], qs[i]);
        const bool n = new_match(qs[j], qs[i]);
        t.new_hits += n;
        if (n) wrong_new["natural"].push_back({qs[i], qs[j]});
      }
    }
  }
  // 1b. Made near-misses and paraphrases.
  std::mt19937 rng(seed);
  for (size_t i = 0; i < qs.size(); ++i) {
    const std::string& other = qs[rng() % qs.size()];
    for (const auto& [kind, text] : near_misses(qs[i], other)) {
      Tally& t = neg[kind];
      ++t.pairs;
      t.old_hits += old_match(text, qs[i]);
      const bool n = new_match(text, qs[i]);
      t.new_hits += n;
      if (n) wrong_new[kind].push_back({qs[i], text});
    }
    for (const auto& [kind, text] : paraphrases(qs[i])) {
      Tally& t = pos[kind];
      ++t.pairs;
      t.old_hits += old_match(text, qs[i]);
      t.new_hits += new_match(text, qs[i]);
    }
  }
  print_tally("1. different questions sharing most words (a match serves the wrong answer)", neg, true);
  std::printf("\n");
  print_tally("   true paraphrases (a match is a correct hit)", pos, false);
  long oh = 0, nh = 0, tp_o = 0, tp_n = 0, pp = 0;
  for (const auto& [k, t] : neg) oh += t.old_hits, nh += t.new_hits;
  for (const auto& [k, t] : pos) pp += t.pairs, tp_o += t.old_hits, tp_n += t.new_hits;
  std::printf("\n   precision of a paraphrase match, TP/(TP+FP): old %.2f%%, new %.2f%%; recall: old %.2f%%, new %.2f%%\n",
              100.0 * tp_o / std::max(1L, tp_o + oh), 100.0 * tp_n / std::max(1L, tp_n + nh), 100.0 * tp_o / pp,
              100.0 * tp_n / pp);
  const size_t show = static_cast<size_t>(std::stoi(eval::flag(argc, argv, "--show", "3")));
  std::printf("   the new matcher's false matches, the first %zu of each kind:\n", show);
  for (const auto& [kind, pairs] : wrong_new)
    for (size_t i = 0; i < pairs.size() && i < show; ++i)
      std::printf("     %-14s \"%s\"  ~  \"%s\"\n", kind.c_str(), pairs[i].first.c_str(), pairs[i].second.c_str());

  // 2. Repeated-question workload.
  const size_t pool = std::min<size_t>(2000, qs.size());
  std::vector<double> zipf(pool);
  for (size_t i = 0; i < pool; ++i) zipf[i] = 1.0 / static_cast<double>(i + 1);
  std::discrete_distribution<size_t> pick(zipf.begin(), zipf.end());
  std::uniform_real_distribution<double> u(0, 1);
  struct Ask {
    std::string text;
    std::string identity;  // the question it really is
  };
  std::vector<Ask> seq;
  std::vector<size_t> order(qs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  for (int r = 0; r < requests; ++r) {
    const std::string& q = qs[order[pick(rng)]];
    const double x = u(rng);
    if (x < 0.55) {
      seq.push_back({q, q});
    } else if (x < 0.75) {
      seq.push_back({paraphrases(q)[0].second, q});
    } else if (x < 0.90) {
      auto p = paraphrases(q);
      seq.push_back({p[1 + rng() % (p.size() - 1)].second, q});
    } else {
      auto m = near_misses(q, qs[rng() % qs.size()]);
      if (m.empty()) seq.push_back({q, q});
      else {
        const std::string t = m[rng() % m.size()].second;
        seq.push_back({t, "near-miss:" + normalize_question(t)});
      }
    }
  }
  auto simulate = [&](bool old) {
    // Cached entries: normalized question -> identity; the old matcher scans all
    // term sets (as the old index did), the new one looks up the signature.
    std::unordered_map<std::string, std::string> exact;
    std::vector<std::pair<std::set<std::string>, std::string>> old_index;  // terms, identity
    std::vector<std::set<std::string>> old_numbers;
    std::unordered_map<std::string, std::string> sigs;
    long hits = 0, wrong = 0;
    for (const Ask& a : seq) {
      const std::string key = normalize_question(a.text);
      std::string got;
      if (auto it = exact.find(key); it != exact.end()) got = it->second;
      else if (old) {
        std::set<std::string> t = old_terms(a.text);
        if (t.size() >= 2) {
          std::set<std::string> n = numbers_of(t);
          double best = 0;
          for (size_t i = 0; i < old_index.size(); ++i) {
            if (old_numbers[i] != n) continue;
            double j = jaccard(t, old_index[i].first);
            if (j > best) best = j, got = j >= 0.8 ? old_index[i].second : got;
          }
          if (best < 0.8) got.clear();
        }
      } else if (const std::string s = paraphrase_signature(key); !s.empty()) {
        if (auto it = sigs.find(s); it != sigs.end()) got = it->second;
      }
      if (!got.empty()) {
        ++hits;
        wrong += got != a.identity;
        continue;
      }
      exact[key] = a.identity;
      if (old) {
        old_index.push_back({old_terms(key), a.identity});
        old_numbers.push_back(numbers_of(old_index.back().first));
      } else if (const std::string s = paraphrase_signature(key); !s.empty()) {
        sigs[s] = a.identity;
      }
    }
    return std::pair<long, long>{hits, wrong};
  };
  auto [oh2, ow2] = simulate(true);
  auto [nh2, nw2] = simulate(false);
  std::printf("\n2. repeated-question workload: %d asks of %zu questions (Zipf), 55%% verbatim, 20%% case/punctuation, "
              "15%% reworded, 10%% near-miss\n",
              requests, pool);
  std::printf("  %-8s %10s %12s %16s\n", "matcher", "hit rate", "wrong hits", "correct hit rate");
  std::printf("  %-8s %9.2f%% %11.2f%% %15.2f%%\n", "old", 100.0 * oh2 / requests, 100.0 * ow2 / requests,
              100.0 * (oh2 - ow2) / requests);
  std::printf("  %-8s %9.2f%% %11.2f%% %15.2f%%\n", "new", 100.0 * nh2 / requests, 100.0 * nw2 / requests,
              100.0 * (nh2 - nw2) / requests);
  return 0;
}
