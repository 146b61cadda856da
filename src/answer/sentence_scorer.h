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
//             (a year for "when", a number for "how many", a name for "who") that
//             the question does not already contain.
// Shared by the context builder and extractive answers.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace owlet::answer {

// Weights of the signals; the defaults were tuned on half of XQuAD en/zh (the even
// questions, bench/answer/context_eval) and checked on the other half.
struct ScoreOptions {
  double context_weight = 0.35;  // share of a previous sentence's terms a sentence inherits
  double phrase_weight = 0.25;   // adjacent question-term pairs found adjacent
  double type_bonus = 0.2;       // a candidate of the asked-for type, not in the question
  double weak_type_bonus = 0.05; // same, for weak cues (a capitalized word for "who")
};

// Scores, one per sentence: 0 when no question term is present, otherwise about
// 0..1.5 (1 = every weighted question term present). `passage`, when given, says
// which passage each sentence comes from; consecutive sentences of one passage are
// neighbours. Empty: every sentence stands alone.
std::vector<double> score_sentences(std::string_view question, const std::vector<std::string>& sentences,
                                    const std::vector<size_t>& passage = {}, const ScoreOptions& options = {});

// What kind of answer the question asks for.
enum class AnswerType { kOther, kNumber, kDate, kPerson, kPlace };
AnswerType answer_type(std::string_view question);

// The retriever's order is evidence too: a sentence from the source ranked r
// (0-based) loses r * kSourceRankPenalty, enough to break near-ties in favour of
// the better source, too little to hide a clearly better sentence further down.
constexpr double kSourceRankPenalty = 0.1;

}  // namespace owlet::answer
