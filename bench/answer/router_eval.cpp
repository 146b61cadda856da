// owlet-eval-router — the router's freshness classes on FreshQA (dev, 100 questions).
//
// Gold: needs-web = fact_type fast- or slow-changing, local = never-changing
// (false-premise questions keep their fact_type). Predicted: classify_freshness
// != never. The rules were first written looking only at the even ids ("design
// half"); the odd ids were held out (68 % on the first run, then seen: see
// docs/BENCHMARKS.md). Both halves are reported.
//
// usage: owlet-eval-router [--data DIR] [--now UNIX_SECONDS] [--verbose]
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
    std::printf("%-22s n=%3d  accuracy %5.1f%%  needs-web precision %5.1f%%  recall %5.1f%%  "
                "(tp %d fp %d tn %d fn %d)  3-class exact %5.1f%%\n",
                name, n(), acc, prec, rec, tp, fp, tn, fn, n() ? 100.0 * exact / n() : 0);
  }
};

Freshness gold_class(const std::string& fact_type) {
  if (fact_type == "fast-changing") return Freshness::fast;
  if (fact_type == "slow-changing") return Freshness::slow;
  return Freshness::never;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = eval::flag(argc, argv, "--data", OWLET_EVAL_DIR);
  const int64_t now = std::stoll(eval::flag(argc, argv, "--now", std::to_string(std::time(nullptr))));
  const bool verbose = eval::has_flag(argc, argv, "--verbose");
  std::vector<nlohmann::json> rows;
  if (!eval::read_jsonl(dir + "/freshqa-dev/freshqa-dev.jsonl", &rows)) return 1;

  Counts all, design, held, premise, true_premise;
  int confusion[3][3] = {};
  for (const auto& r : rows) {
    const std::string q = r.value("question", "");
    const Freshness gold = gold_class(r.value("fact_type", ""));
    const FreshnessExplanation e = explain_freshness(q, now);
    const bool want = gold != Freshness::never, got = e.freshness != Freshness::never;
    auto tally = [&](Counts& c) {
      if (want && got) ++c.tp;
      if (!want && got) ++c.fp;
      if (!want && !got) ++c.tn;
      if (want && !got) ++c.fn;
      if (gold == e.freshness) ++c.exact;
    };
    tally(all);
    tally(r.value("id", 0) % 2 == 0 ? design : held);
    tally(r.value("false_premise", false) ? premise : true_premise);
    ++confusion[static_cast<int>(gold)][static_cast<int>(e.freshness)];
    if (verbose && want != got) {
      std::printf("MISS id=%d gold=%s got=%s  %s\n", r.value("id", 0), to_string(gold), to_string(e.freshness), q.c_str());
      for (const auto& why : e.reasons) std::printf("       %s\n", why.c_str());
    }
  }
  std::printf("FreshQA dev: needs-web = fast|slow, local = never; prediction = classify_freshness(q, now=%lld)\n",
              static_cast<long long>(now));
  all.print("all");
  design.print("design half (even ids)");
  held.print("held-out (odd ids)");
  premise.print("false-premise only");
  true_premise.print("true-premise only");
  std::printf("confusion (rows gold never/slow/fast, cols predicted never/slow/fast):\n");
  for (int g = 0; g < 3; ++g) {
    std::printf("  %-6s %3d %3d %3d\n", to_string(static_cast<Freshness>(g)), confusion[g][0], confusion[g][1], confusion[g][2]);
  }
  return 0;
}
