// The learned router: three logistic-regression heads over route_features.h.
//
//   changing   does the answer change over time (needs fresh data)?   timesens
//   fast       if it changes: within a year (fast) or over years (slow)? RecencyQA classes
//   retrieval  does the prompt ask for facts from outside itself?       needret (Dolly)
//
// One weight table per feature view (words, concepts), each with a threshold per
// head chosen by cross-validation (owlet-train-router). Weights live in a small
// text file, src/answer/route_model.weights, written by owlet-train-router and
// compiled into the binary; scoring is a sum over the prompt's few dozen features.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "answer/route_features.h"
#include "common/error.h"

namespace owlet::answer {

enum class RouteHead { changing = 0, fast = 1, retrieval = 2 };
constexpr int kRouteHeads = 3;
const char* to_string(RouteHead h);  // "changing", "fast", "retrieval"

struct FeatureWeight {
  std::string feature;
  double weight = 0;
};

struct HeadScore {
  double probability = 0.5;
  double logit = 0;
  std::vector<FeatureWeight> top;  // fired features with the largest |weight| (bias left out)
};

class RouteModel {
 public:
  // The text format written by serialize(); false and *err (kind parse) on a bad file.
  static bool parse(std::string_view text, RouteModel* out, Error* err);
  // The committed weights compiled into the binary, parsed on first use.
  static const RouteModel& builtin();

  HeadScore score(FeatureView view, RouteHead head, const std::vector<std::string>& features,
                  size_t top_n = 3) const;
  double threshold(FeatureView view, RouteHead head) const;
  // For a prompt in an open question form (fact_question.h): retrieval is skipped only
  // below this probability (0 = never skipped). "threshold\tquestion\t<p>" in the file.
  double question_threshold(FeatureView view) const { return views_[static_cast<int>(view)].question_threshold; }
  void set_question_threshold(FeatureView view, double t) { views_[static_cast<int>(view)].question_threshold = t; }
  size_t size(FeatureView view) const { return views_[static_cast<int>(view)].weights.size(); }

  // Building a model (the trainer).
  void set_weights(FeatureView view, const std::string& feature, const std::array<float, kRouteHeads>& w);
  void set_threshold(FeatureView view, RouteHead head, double t);
  void set_comment(std::string comment) { comment_ = std::move(comment); }
  // Deterministic text: a header, then per view its thresholds and one line per
  // feature, sorted by name, weights rounded to 4 decimals.
  std::string serialize() const;

 private:
  struct View {
    std::unordered_map<std::string, std::array<float, kRouteHeads>> weights;
    std::array<double, kRouteHeads> thresholds{0.5, 0.5, 0.5};
    double question_threshold = 0;
  };
  std::array<View, 2> views_;
  std::string comment_;
};

}  // namespace owlet::answer
