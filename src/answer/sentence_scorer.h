// Scores candidate sentences against a question. Lexical, no model: the signals
// that reading-comprehension baselines found to locate an answer sentence.
//   coverage  the IDF-weighted share of the question's content terms a sentence
//             contains, IDF taken over the candidate set (so words that every
//             candidate shares, like the article's topic, weigh little);
//   context   terms the previous sentence of the same passage holds and this one
//             lacks count at a discount ("It was built in 1850" after the sentence
//             that names the bridge);
//   phrase    question terms that stand next to each other in the question and
//             in the sentence (names, "Super Bowl", Chinese words of 3+ characters);
//   type      the sentence holds a candidate of the kind the question asks for
//             (a year for "when", a number for "how many", a name or an
//             organisation for "who") that the question does not already contain;
//   heading   terms the sentence lacks but its page title or the heading above
//             it holds count at a discount (the question's entity is often
//             named once, in the title, and "he" or "it" in the text);
//   proximity the question terms a sentence holds stand close together;
//   passage   the share of the question's terms the sentence's paragraph holds
//             as a whole (the evidence a chunk retriever sees);
//   n-grams   Chinese: the longest run of question characters found in the
//             sentence as one run (names, transliterations, set phrases);
//   semantic  optional: a similarity from an embedding model, when one is
//             configured (ScoreOptions::semantic).
// Shared by the context builder and extractive answers.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace owlet::answer {

// Weights of the signals; the defaults were tuned on half of XQuAD en/zh (the even
// questions, bench/answer/context_eval) and checked on the other half.
// Similarity of each sentence to the question in [0, 1] (cosine of embeddings),
// one per sentence; empty = unavailable (the lexical score stands alone). It is
// asked about the kSemanticCandidates best sentences by the lexical score only.
using SemanticScorer =
    std::function<std::vector<double>(std::string_view question, const std::vector<std::string>& sentences)>;

constexpr size_t kSemanticCandidates = 24;

struct ScoreOptions {
  double context_weight = 0.35;  // share of a previous sentence's terms a sentence inherits
  double phrase_weight = 0.25;   // adjacent question-term pairs found adjacent
  double type_bonus = 0.2;       // a candidate of the asked-for type, not in the question
  double weak_type_bonus = 0.05; // same, for weak cues (a capitalized word for "who")
  double heading_weight = 0.3;   // share of the title's / heading's terms a sentence inherits
  double proximity_weight = 0.1; // the sentence's question terms within a short window
  double ngram_weight = 0.15;    // Chinese: a long run of the question's characters
  double passage_weight = 0.3;   // the question's weight its passage (paragraph) holds as a whole
  // The plug-in point for a semantic scorer (an embedding model); null = lexical only.
  SemanticScorer semantic;
  double semantic_weight = 0.5;
};

// What the scorer knows about each sentence besides its text. Empty vectors:
// every sentence stands alone.
struct SentenceContext {
  std::vector<size_t> passage;       // which passage: consecutive sentences of one passage are neighbours
  std::vector<std::string> heading;  // the page title and the heading above it ("" = none)
};

// Scores, one per sentence: 0 when no question term is present, otherwise about
// 0..1.5 (1 = every weighted question term present). `passage`, when given, says
// which passage each sentence comes from; consecutive sentences of one passage are
// neighbours. Empty: every sentence stands alone.
std::vector<double> score_sentences(std::string_view question, const std::vector<std::string>& sentences,
                                    const std::vector<size_t>& passage = {}, const ScoreOptions& options = {});
std::vector<double> score_sentences(std::string_view question, const std::vector<std::string>& sentences,
                                    const SentenceContext& context, const ScoreOptions& options);

// What kind of answer the question asks for.
enum class AnswerType { kOther, kNumber, kDate, kPerson, kPlace };  // kPerson: a person or an organisation
AnswerType answer_type(std::string_view question);

// The retriever's order is evidence too: a sentence from the source ranked r
// (0-based) loses r * kSourceRankPenalty, enough to break near-ties in favour of
// the better source, too little to hide a clearly better sentence further down.
constexpr double kSourceRankPenalty = 0.1;

}  // namespace owlet::answer
