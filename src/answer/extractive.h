// Extractive answers: with no model (or --engine extractive), the answer is the
// best-supported sentence(s) from the sources, each with its citation.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "answer/source.h"

namespace owlet::answer {

struct ExtractiveOptions {
  int max_sentences = 2;
  double min_score = 0.0;  // below this nothing is returned (empty text)
};

struct ExtractiveAnswer {
  std::string text;               // "Sentence one. [1] Sentence two. [2]"
  std::vector<std::string> sentences;  // the picked sentences, without markers
  std::vector<int> cited;         // source numbers (Source::n), in answer order
  double score = 0;               // the best sentence's score
};

// `sources` must already be numbered (Source::n), as build_context returns them.
ExtractiveAnswer extract_answer(std::string_view question, const std::vector<Source>& sources,
                                const ExtractiveOptions& options = {});

}  // namespace owlet::answer
