#include "answer/extractive.h"

#include <algorithm>

#include "answer/sentence_scorer.h"
#include "answer/sentences.h"
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
  SentenceContext context;  // neighbouring sentences lend each other context; titles and headings too
  for (size_t r = 0; r < sources.size(); ++r) {
    const std::vector<TextUnit> units = split_units(sources[r].text);
    for (const TextUnit& u : units) {
      if (u.heading) continue;  // a heading says what follows; it answers nothing itself
      std::string clean = neutralize_source_text(u.text);
      if (clean.empty()) continue;
      std::string heading = sources[r].title;
      const std::string path = heading_path(units, static_cast<size_t>(&u - units.data()));
      if (!path.empty()) heading += (heading.empty() ? "" : " \u00B7 ") + path;
      flat.push_back(clean);
      context.passage.push_back(r * 100000 + static_cast<size_t>(u.paragraph));
      context.heading.push_back(std::move(heading));
      cands.push_back({std::move(clean), sources[r].n, r, 0, 0});
    }
  }
  const std::vector<double> scores = score_sentences(question, flat, context, ScoreOptions{});
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
