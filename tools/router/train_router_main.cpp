// owlet-train-router — trains the router's classifier and writes its weights file.
//
//   owlet-train-router [--data ../shared/eval] [--out src/answer/route_model.weights]
//                      [--check FILE] [--top-words N] [--no-cv] [--epochs N] [--l2 X]
//                      [--min-count N] [--needret-static-weight X] [--timesens-retrieval-weight X]
//                      [--length-features all|retrieval|none] [--question-none-target X] [--sweep]
//
// Prints the cross-validation report; --out writes the weights; --check compares
// the weights it would write with FILE (exit 1 when they differ); --top-words lists
// the most weighted words of the words view (the concept vocabulary's source).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "router_training.h"

using owlet::router_training::TrainOptions;

namespace {

std::string flag(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (name == argv[i]) return argv[i + 1];
  return fallback;
}

bool has_flag(int argc, char** argv, const std::string& name) {
  for (int i = 1; i < argc; ++i)
    if (name == argv[i]) return true;
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  TrainOptions o;
  o.data_dir = flag(argc, argv, "--data", OWLET_EVAL_DIR);
  o.epochs = std::atoi(flag(argc, argv, "--epochs", std::to_string(o.epochs)).c_str());
  o.l2 = std::atof(flag(argc, argv, "--l2", std::to_string(o.l2)).c_str());
  o.min_count = std::atoi(flag(argc, argv, "--min-count", std::to_string(o.min_count)).c_str());
  o.needret_static_weight =
      std::atof(flag(argc, argv, "--needret-static-weight", std::to_string(o.needret_static_weight)).c_str());
  o.timesens_retrieval_weight =
      std::atof(flag(argc, argv, "--timesens-retrieval-weight", std::to_string(o.timesens_retrieval_weight)).c_str());
  o.length_features = flag(argc, argv, "--length-features", o.length_features);
  o.cross_validate = !has_flag(argc, argv, "--no-cv");
  o.sweep = has_flag(argc, argv, "--sweep");
  o.question_none_target =
      std::atof(flag(argc, argv, "--question-none-target", std::to_string(o.question_none_target)).c_str());
  owlet::Error err;
  if (has_flag(argc, argv, "--top-words")) {
    const std::string words = owlet::router_training::top_words(o, std::atoi(flag(argc, argv, "--top-words", "300").c_str()), &err);
    if (err) {
      std::fprintf(stderr, "owlet-train-router: %s\n", err.message.c_str());
      return 1;
    }
    std::fputs(words.c_str(), stdout);
    return 0;
  }
  owlet::router_training::TrainResult r;
  if (!owlet::router_training::train_router(o, &r, &err)) {
    std::fprintf(stderr, "owlet-train-router: %s\n", err.message.c_str());
    return 1;
  }
  std::fputs(r.report.c_str(), stdout);
  const std::string text = r.model.serialize();
  const std::string out = flag(argc, argv, "--out", "");
  if (!out.empty()) {
    std::ofstream f(out, std::ios::binary | std::ios::trunc);
    f << text;
    if (!f) {
      std::fprintf(stderr, "owlet-train-router: cannot write %s\n", out.c_str());
      return 1;
    }
    std::printf("wrote %s (%zu bytes)\n", out.c_str(), text.size());
  }
  const std::string check = flag(argc, argv, "--check", "");
  if (!check.empty()) {
    std::ifstream f(check, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    const bool same = f.good() || f.eof() ? ss.str() == text : false;
    std::printf("%s %s\n", check.c_str(), same ? "is reproduced byte for byte" : "DIFFERS from the trained weights");
    return same ? 0 : 1;
  }
  return 0;
}
