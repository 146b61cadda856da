// owlet-eval-router — the router on FreshQA dev (100 questions), English and the
// Chinese translation (bench/data/freshqa-dev-zh.jsonl). A check set only: nothing
// here was used to train or tune the router.
//
// Gold: needs-web = fact_type fast- or slow-changing, local = never-changing
// (false-premise questions keep their fact_type). Predicted needs-web: the prompt
// needs retrieval and its class is slow or fast (classify_prompt). Rows: the cue
// rules alone (the router before the classifier, whose rules were written looking at
// this set) and the whole router (rules + learned classifier).
//
// Also the product rule's figures ("a prompt that asks for facts gets sources"): the
// share of prompts the router answers with no retrieval at all (tier none, with an
// empty knowledge base) on sets that ask for facts — FreshQA dev en/zh, XQuAD's
// questions en/zh — and on Dolly's needret rows (training data of the classifier:
// in-sample here; owlet-train-router prints the out-of-fold figures).
//
// usage: owlet-eval-router [--data DIR] [--now UNIX_SECONDS] [--lang en|zh|both] [--verbose] [--rules]
//                          [--product-rule [--show N]] [--explain < prompts.txt]   (the tier-none shares; N examples of the misses)
#include <algorithm>
#include <chrono>
#include <map>
#include <cstdio>
#include <iostream>
#include <ctime>
#include <string>
#include <vector>

#include "answer/router.h"
#include "eval_data.h"

using namespace owlet::answer;

namespace {

struct Counts {
  int tp = 0, fp = 0, tn = 0, fn = 0, exact = 0;
  int n() const { return tp + fp + tn + fn; }
  void print(const char* name) const {
    const double acc = n() ? 100.0 * (tp + tn) / n() : 0;
    const double prec = tp + fp ? 100.0 * tp / (tp + fp) : 0;
    const double rec = tp + fn ? 100.0 * tp / (tp + fn) : 0;
    std::printf("  %-20s n=%3d  accuracy %5.1f%%  needs-web precision %5.1f%%  recall %5.1f%%  "
                "(tp %d fp %d tn %d fn %d)  3-class exact %5.1f%%  online %5.1f%%\n",
                name, n(), acc, prec, rec, tp, fp, tn, fn, n() ? 100.0 * exact / n() : 0,
                n() ? 100.0 * (tp + fp) / n() : 0);
  }
};

Freshness gold_class(const std::string& fact_type) {
  if (fact_type == "fast-changing") return Freshness::fast;
  if (fact_type == "slow-changing") return Freshness::slow;
  return Freshness::never;
}

void evaluate(const std::vector<nlohmann::json>& rows, const char* lang, bool classifier, int64_t now, bool verbose) {
  RouterOptions ro;
  ro.use_classifier = classifier;
  Counts all, premise, true_premise;
  int confusion[3][3] = {};
  double total_us = 0;
  classify_prompt("warm-up: compile the rules, load the weights", now, ro);
  for (const auto& r : rows) {
    const std::string q = r.value("question", "");
    const Freshness gold = gold_class(r.value("fact_type", ""));
    const auto t0 = std::chrono::steady_clock::now();
    const PromptClass c = classify_prompt(q, now, ro);
    total_us += std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
    const Freshness got_class = c.retrieval ? c.freshness : Freshness::never;
    const bool want = gold != Freshness::never, got = got_class != Freshness::never;
    auto tally = [&](Counts& k) {
      if (want && got) ++k.tp;
      if (!want && got) ++k.fp;
      if (!want && !got) ++k.tn;
      if (want && !got) ++k.fn;
      if (gold == got_class) ++k.exact;
    };
    tally(all);
    tally(r.value("false_premise", false) ? premise : true_premise);
    ++confusion[static_cast<int>(gold)][static_cast<int>(got_class)];
    if (verbose && want != got) {
      std::printf("    MISS id=%d gold=%s got=%s%s  %s\n", r.value("id", 0), to_string(gold), to_string(got_class),
                  c.retrieval ? "" : " (no retrieval)", q.c_str());
      for (const auto& why : c.reasons) std::printf("         %s\n", why.c_str());
    }
  }
  std::printf("%s, %s (classify_prompt, now=%lld; %.0f us per question):\n", lang,
              classifier ? "whole router (rules + classifier)" : "cue rules alone", static_cast<long long>(now),
              rows.empty() ? 0.0 : total_us / static_cast<double>(rows.size()));
  all.print("all");
  true_premise.print("true-premise");
  premise.print("false-premise");
  std::printf("  confusion (rows gold never/slow/fast, cols predicted never/slow/fast; no retrieval = never):\n");
  for (int g = 0; g < 3; ++g) {
    std::printf("    %-6s %3d %3d %3d\n", to_string(static_cast<Freshness>(g)), confusion[g][0], confusion[g][1],
                confusion[g][2]);
  }
}

// Tier none share of one set of prompts (text in `field`), and up to `show` of them.
void none_share(const char* name, const std::vector<nlohmann::json>& rows, const std::string& field, int64_t now,
                bool want_retrieval, int show) {
  int none = 0, shown = 0;
  std::map<std::string, int> by;  // how the prompts that went the wrong way were decided
  for (const auto& r : rows) {
    const std::string q = r.value(field, "");
    const PromptClass c = classify_prompt(q, now);
    if (!c.retrieval) ++none;
    if (c.retrieval == want_retrieval) continue;
    ++by[c.direct_task.empty() ? (c.question == QuestionForm::none ? "classifier, no question form"
                                                                    : std::string("classifier, ") + to_string(c.question) + " form")
                               : "rule " + c.direct_task];
    if (shown++ < show) std::printf("      %s\n", q.substr(0, 120).c_str());
  }
  const double n = static_cast<double>(std::max<size_t>(1, rows.size()));
  std::printf("  %-48s n=%5zu  tier none %5.1f %%  %s %5.1f %%\n", name, rows.size(), 100.0 * none / n,
              want_retrieval ? "retrieve" : "kept offline", 100.0 * (want_retrieval ? rows.size() - none : none) / n);
  for (const auto& [how, k] : by) std::printf("      misses by %-34s %d\n", how.c_str(), k);
}

void product_rule(const std::string& dir, int64_t now, int show) {
  std::printf("product rule: prompts that ask for facts retrieve, direct tasks stay offline (empty knowledge base)\n");
  std::vector<nlohmann::json> fq_en, fq_zh, xq_en, xq_zh, dolly;
  if (eval::read_jsonl(dir + "/freshqa-dev/freshqa-dev.jsonl", &fq_en)) none_share("FreshQA dev (en)", fq_en, "question", now, true, show);
  if (eval::read_jsonl(std::string(OWLET_SOURCE_DIR) + "/bench/data/freshqa-dev-zh.jsonl", &fq_zh))
    none_share("FreshQA dev (zh translation)", fq_zh, "question", now, true, show);
  if (eval::read_jsonl(dir + "/xquad/xquad.en.flat.jsonl", &xq_en)) none_share("XQuAD questions (en)", xq_en, "question", now, true, show);
  if (eval::read_jsonl(dir + "/xquad/xquad.zh.flat.jsonl", &xq_zh)) none_share("XQuAD questions (zh)", xq_zh, "question", now, true, show);
  if (!eval::read_jsonl(dir + "/needret/train.jsonl", &dolly)) return;
  std::map<std::string, std::vector<nlohmann::json>> by_cat;
  for (auto& r : dolly)
    if (!r.value("has_context", false)) by_cat[r.value("category", "")].push_back(r);
  std::vector<nlohmann::json> open, direct;
  for (const char* c : {"open_qa", "general_qa"}) open.insert(open.end(), by_cat[c].begin(), by_cat[c].end());
  for (const char* c : {"brainstorming", "classification", "creative_writing"})
    direct.insert(direct.end(), by_cat[c].begin(), by_cat[c].end());
  none_share("Dolly open_qa+general_qa, no context (train)", open, "prompt", now, true, show);
  none_share("Dolly brainstorm/classif./creative (train)", direct, "prompt", now, false, show);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = eval::flag(argc, argv, "--data", OWLET_EVAL_DIR);
  const int64_t now = std::stoll(eval::flag(argc, argv, "--now", std::to_string(std::time(nullptr))));
  const std::string lang = eval::flag(argc, argv, "--lang", "both");
  const bool verbose = eval::has_flag(argc, argv, "--verbose");
  const bool rules = eval::has_flag(argc, argv, "--rules");
  std::vector<std::pair<std::string, std::string>> sets;
  if (lang == "en" || lang == "both") sets.push_back({"FreshQA dev (en)", dir + "/freshqa-dev/freshqa-dev.jsonl"});
  if (lang == "zh" || lang == "both")
    sets.push_back({"FreshQA dev (zh translation)", std::string(OWLET_SOURCE_DIR) + "/bench/data/freshqa-dev-zh.jsonl"});
  const int show = std::stoi(eval::flag(argc, argv, "--show", "0"));
  if (eval::has_flag(argc, argv, "--explain")) {  // one prompt a line on stdin: how the router reads it
    for (std::string line; std::getline(std::cin, line);) {
      const PromptClass c = classify_prompt(line, now);
      std::printf("%-5s %-6s %-24s %-14s p=%.2f | %s\n", c.retrieval ? "RETR" : "none", to_string(c.question),
                  c.question_match.substr(0, 24).c_str(), c.direct_task.c_str(), c.p_retrieval, line.substr(0, 90).c_str());
    }
    return 0;
  }
  if (eval::has_flag(argc, argv, "--product-rule")) {
    product_rule(dir, now, show);
    return 0;
  }
  for (const auto& [name, path] : sets) {
    std::vector<nlohmann::json> rows;
    if (!eval::read_jsonl(path, &rows)) return 1;
    if (rules) evaluate(rows, name.c_str(), false, now, verbose);
    evaluate(rows, name.c_str(), true, now, verbose);
  }
  return 0;
}
