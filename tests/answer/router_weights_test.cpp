// The shipped router weights (src/answer/route_model.weights) are what the committed
// trainer (tools/router) makes from the shared evaluation data: the same bytes, or
// failing that (another compiler's floating point) the same features and weights
// within rounding, which make the same predictions.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <sstream>

#include "router_training.h"
#include "support/test_support.h"

using namespace owlet;

TEST(RouterWeights, ReproduceFromTheTrainingScript) {
  const std::string data = OWLET_EVAL_DIR;
  if (!std::filesystem::exists(data + "/timesens/combined.jsonl"))
    GTEST_SKIP() << "no evaluation data at " << data << " (../shared/eval)";
  router_training::TrainOptions o;
  o.data_dir = data;
  router_training::TrainResult r;
  Error err;
  ASSERT_TRUE(router_training::train_router(o, &r, &err)) << err.message;
  const std::string shipped = test::read_file(std::string(OWLET_SOURCE_DIR) + "/src/answer/route_model.weights");
  const std::string trained = r.model.serialize();
  if (trained == shipped) return;  // byte for byte
  // Same features, thresholds and weights up to the last printed digit.
  std::istringstream a(shipped), b(trained);
  std::string la, lb;
  int line = 0;
  while (std::getline(a, la)) {
    ++line;
    ASSERT_TRUE(static_cast<bool>(std::getline(b, lb))) << "trained weights end early at line " << line;
    if (la == lb) continue;
    const size_t ta = la.find('\t'), tb = lb.find('\t');
    ASSERT_EQ(la.substr(0, ta), lb.substr(0, tb)) << "line " << line;
    std::istringstream va(la.substr(ta + 1)), vb(lb.substr(tb + 1));
    double x, y;
    std::string name_a, name_b;
    if (la.rfind("threshold", 0) == 0) va >> name_a, vb >> name_b;
    while (va >> x) {
      ASSERT_TRUE(static_cast<bool>(vb >> y)) << "line " << line;
      EXPECT_LE(std::fabs(x - y), 2e-4) << "line " << line << ": " << la << " vs " << lb;
    }
  }
  EXPECT_FALSE(static_cast<bool>(std::getline(b, lb))) << "trained weights have more lines";
}
