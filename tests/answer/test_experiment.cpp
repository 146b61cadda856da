// Experiment arms: parsing and the sticky, weighted assignment of clients.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "answer/experiment.h"

using owlet::answer::client_hash;
using owlet::answer::Experiment;

namespace {

std::map<std::string, int> spread(const Experiment& e, int n, const std::string& prefix) {
  std::map<std::string, int> count;
  for (int i = 0; i < n; ++i) {
    int a = e.assign(prefix + std::to_string(i));
    EXPECT_GE(a, 0);
    EXPECT_LT(a, static_cast<int>(e.arms().size()));
    ++count[e.arms()[static_cast<size_t>(a)].name];
  }
  return count;
}

}  // namespace

TEST(Experiment, NoArmsAssignsNothing) {
  Experiment e;
  std::string err;
  ASSERT_TRUE(Experiment::parse("", &e, &err)) << err;
  EXPECT_FALSE(e.active());
  EXPECT_EQ(e.assign("anyone"), -1);
}

TEST(Experiment, BadSpecsAreRejected) {
  Experiment e;
  std::string err;
  for (const char* bad : {"control", "control:0", "a:1,a:2", "UP:1", "a:1,b", "a:1e3"}) {
    err.clear();
    EXPECT_FALSE(Experiment::parse(bad, &e, &err)) << bad;
    EXPECT_NE(err.find("experiment_arms"), std::string::npos) << bad << " -> " << err;
  }
}

TEST(Experiment, AssignmentIsStickyAndFollowsTheWeights) {
  Experiment e;
  std::string err;
  ASSERT_TRUE(Experiment::parse("control:70,deep:20,light:10", &e, &err)) << err;
  ASSERT_EQ(e.arms().size(), 3u);
  // Sticky: the same id, asked again and from a second parse of the same
  // spec (a restart), lands on the same arm.
  Experiment again;
  ASSERT_TRUE(Experiment::parse("control:70,deep:20,light:10", &again, &err));
  for (const char* id : {"addr:127.0.0.1", "key:0123abcd", "client:alice", ""}) {
    int a = e.assign(id);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(e.assign(id), a) << id;
    EXPECT_EQ(again.assign(id), a) << id;
  }
  // Weights: 20 000 sequential ids (the worst case for a weak hash) within
  // 1.5 points of each arm's share.
  const int n = 20000;
  for (const std::string prefix : {"addr:10.0.0.", "client:user-"}) {
    auto count = spread(e, n, prefix);
    EXPECT_NEAR(count["control"] / double(n), 0.70, 0.015) << prefix;
    EXPECT_NEAR(count["deep"] / double(n), 0.20, 0.015) << prefix;
    EXPECT_NEAR(count["light"] / double(n), 0.10, 0.015) << prefix;
  }
}

TEST(Experiment, EqualWeightsSplitEvenlyAndASingleArmTakesAll) {
  Experiment e;
  std::string err;
  ASSERT_TRUE(Experiment::parse("a:1,b:1", &e, &err)) << err;
  auto count = spread(e, 10000, "key:");
  EXPECT_NEAR(count["a"] / 10000.0, 0.5, 0.02);
  ASSERT_TRUE(Experiment::parse("only:3", &e, &err)) << err;
  for (int i = 0; i < 100; ++i) EXPECT_EQ(e.assign(std::to_string(i)), 0);
}

TEST(Experiment, ClientHashIsStableAcrossRuns) {
  // Pinned values: changing the hash would silently move every client to
  // another arm mid-experiment.
  EXPECT_EQ(client_hash(""), 0x552d3fb62b3c344fULL);
  EXPECT_EQ(client_hash("client:alice"), 0x358f35f57ec3e149ULL);
  EXPECT_NE(client_hash("a"), client_hash("b"));
}
