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
// usage: owlet-eval-router [--data DIR] [--now UNIX_SECONDS] [--lang en|zh|both] [--verbose]
#include <chrono>
#include <cstdio>
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
  for (const auto& [name, path] : sets) {
    std::vector<nlohmann::json> rows;
    if (!eval::read_jsonl(path, &rows)) return 1;
    if (rules) evaluate(rows, name.c_str(), false, now, verbose);
    evaluate(rows, name.c_str(), true, now, verbose);
  }
  return 0;
}
