// Training the router's classifier (src/answer/route_model.h) from the shared
// evaluation data, deterministically: the same data and options give the same
// weights file, byte for byte, on the same build.
//
// Data (read from <data>/, never copied into the repo):
//   timesens/combined.jsonl   changing head: label changing/static, 10,847 questions
//   timesens/recencyqa.jsonl  fast head: RecencyQA's fast/slow classes of changing questions
//   needret/train.jsonl       retrieval head: search / no_search prompts (Dolly); its
//                             no_search prompts also teach the changing head that a
//                             request without a factual question is static
// Each head is logistic regression (AdaGrad, L2) over route_features(), per view
// (words; concepts = English reduced to the concept vocabulary). Thresholds come
// from 5-fold cross-validation, folds by a hash of the text (a text is in the same
// fold for every head):
//   changing   the highest threshold with recall >= 95 % on every timesens source set
//   retrieval  the highest threshold (most prompts kept offline) at which >= 95 % of
//              factual questions (timesens, both labels) keep retrieval
//   fast       the best balanced accuracy (mean of fast and slow recall) on RecencyQA
//   question   for prompts in an open question form ("what are…", "how do I…",
//              answer/fact_question.h): the highest at which the whole router leaves
//              at most `question_none_target` of Dolly's search questions (no context)
//              without retrieval
#pragma once

#include <cstdint>
#include <string>

#include "answer/route_model.h"
#include "common/error.h"

namespace owlet::router_training {

struct TrainOptions {
  std::string data_dir;                 // ../shared/eval
  int64_t now = 1735689600;             // 2025-01-01: "today" for date features of the training questions
  int epochs = 10;
  double learning_rate = 0.1;           // AdaGrad
  double l2 = 1e-4;
  int min_count = 5;                    // features seen in fewer training texts are dropped
  int folds = 5;
  double needret_static_weight = 2.0;   // weight of Dolly no_search prompts as static examples
  double timesens_retrieval_weight = 1; // weight of timesens questions as retrieval examples (0 = left out)
  std::string length_features = "retrieval";  // heads that see prompt length: all | retrieval | none
  double recall_target = 0.95;
  double factual_keep_target = 0.95;
  double question_none_target = 0.04;   // Dolly search questions (no context) the whole router may leave without retrieval
  bool cross_validate = true;
  bool sweep = false;                   // report the question threshold's trade-off (slow: the router per point)           // false: keep the default thresholds (fast, for experiments)
};

struct TrainResult {
  answer::RouteModel model;
  std::string report;  // cross-validation figures, human-readable
};

bool train_router(const TrainOptions& options, TrainResult* out, Error* err);

// The words with the most weight in the words view, for building the concept
// vocabulary: "word\tchanging\tfast\tretrieval\tcount" lines, `n` of them.
std::string top_words(const TrainOptions& options, int n, Error* err);

}  // namespace owlet::router_training
