#include "answer/extractive.h"

#include <algorithm>

#include "answer/context_builder.h"
#include "answer/sentence_scorer.h"
#include "answer/source_text.h"

namespace owlet::answer {

namespace {

struct Candidate {
  std::string sentence;
  int source_n = 0;
  size_t rank = 0;       // position of the source in the input (best first)
  double score = 0;      // match, for thresholds
  double ordering = 0;   // match less the source-rank penalty
};


}  // namespace

ExtractiveAnswer extract_answer(std::string_view question, const std::vector<Source>& sources,
                                const ExtractiveOptions& options) {
  ExtractiveAnswer out;
  std::vector<Candidate> cands;
  std::vector<std::string> flat;
  std::vector<size_t> passage;  // neighbouring sentences lend each other context
  for (size_t r = 0; r < sources.size(); ++r) {
    for (const std::string& s : split_sentences(sources[r].text)) {
      std::string clean = neutralize_source_text(s);
      if (clean.empty()) continue;
      flat.push_back(clean);
      passage.push_back(r);
      cands.push_back({std::move(clean), sources[r].n, r, 0, 0});
    }
  }
  const std::vector<double> scores = score_sentences(question, flat, passage);
  for (size_t i = 0; i < cands.size(); ++i) {
    cands[i].score = scores[i];
    cands[i].ordering = scores[i] - kSourceRankPenalty * static_cast<double>(cands[i].rank);
  }
  std::stable_sort(cands.begin(), cands.end(), [](const Candidate& a, const Candidate& b) { return a.ordering > b.ordering; });
  if (cands.empty() || cands[0].score <= 0 || cands[0].score < options.min_score) return out;
  out.score = cands[0].score;
  for (const Candidate& c : cands) {
    if (static_cast<int>(out.sentences.size()) >= options.max_sentences) break;
    // Further sentences must stand on their own: at least half as good as the best.
    if (c.score <= 0 || c.score < options.min_score || c.score < 0.5 * out.score) continue;
    if (std::find(out.sentences.begin(), out.sentences.end(), c.sentence) != out.sentences.end()) continue;
    if (!out.text.empty()) out.text += ' ';
    out.text += c.sentence + " [" + std::to_string(c.source_n) + "]";
    out.sentences.push_back(c.sentence);
    out.cited.push_back(c.source_n);
  }
  return out;
}

}  // namespace owlet::answer
