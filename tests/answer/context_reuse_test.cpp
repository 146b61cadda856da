// Context size per question (best pick's neighbours, relative floor), the naive
// chunk peer, and extending a block sent before (ContextMemory) so that two
// questions over the same pages share a prompt prefix.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "answer/context_builder.h"
#include "answer/context_memory.h"

using namespace owlet::answer;

namespace {

Source make_source(const std::string& title, const std::string& url, const std::string& text) {
  Source s;
  s.title = title;
  s.url = url;
  s.site = site_of(url);
  s.text = text;
  return s;
}

const std::string kClose = "<<<END SOURCES>>>\n";

// Two pages about a bridge; the questions below are answered by different sentences.
std::vector<Source> bridge_pages() {
  return {make_source("Kings Bridge", "https://bridges.example/kings",
                      "The Kings Bridge crosses the river Aire in Leeds. It was opened in 1850 by the mayor. "
                      "The bridge is 120 metres long. Trams crossed it until 1951. Its iron came from Wales."),
          make_source("River Aire", "https://rivers.example/aire",
                      "The river Aire rises in the Yorkshire Dales. It flows through Leeds to the Ouse. "
                      "Salmon returned to the Aire in 2017.")};
}

// A clear winner comes alone: one sentence a question, nothing around it.
ContextOptions adaptive() {
  ContextOptions o;
  o.token_budget = 400;
  o.confidence = 0.6;
  o.best_neighbors = 0;
  o.relative_floor = 0;
  return o;
}

}  // namespace

TEST(ContextSize, BestPickKeepsItsNeighbours) {
  ContextOptions o = adaptive();
  const BuiltContext alone = build_context("When was the Kings Bridge opened?", bridge_pages(), o);
  ASSERT_NE(alone.text.find("opened in 1850"), std::string::npos) << alone.text;
  EXPECT_EQ(alone.text.find("120 metres"), std::string::npos) << alone.text;
  o.best_neighbors = 1;
  const BuiltContext with = build_context("When was the Kings Bridge opened?", bridge_pages(), o);
  EXPECT_NE(with.text.find("crosses the river Aire in Leeds. It was opened in 1850 by the mayor. The bridge is 120"),
            std::string::npos)
      << with.text;
}

TEST(ContextSize, RelativeFloorLeavesWeakSentencesOut) {
  ContextOptions o;
  o.confidence = 1;
  o.relative_floor = 0;
  o.token_budget = 400;
  o.max_sentences_per_source = 10;
  const std::string q = "When was the Kings Bridge over the river Aire opened by the mayor?";
  const BuiltContext fill = build_context(q, bridge_pages(), o);
  o.relative_floor = 0.6;
  const BuiltContext floor = build_context(q, bridge_pages(), o);
  EXPECT_NE(floor.text.find("opened in 1850"), std::string::npos) << floor.text;
  EXPECT_LT(floor.sentences, fill.sentences);
  EXPECT_LT(floor.tokens, fill.tokens);
}

TEST(ChunkContext, TopChunksWhole) {
  std::string a = "Owls hunt at night. ", b;
  for (int i = 0; i < 60; ++i) b += "Filler sentence number " + std::to_string(i) + " about nothing. ";
  std::vector<Source> ranked = {make_source("Owls", "https://owls.example/", a + "\n\n" + b + "\n\nBarn owls eat voles."),
                                make_source("Voles", "https://voles.example/", "Voles are eaten by barn owls.")};
  ContextOptions o;
  o.chunks = 1;
  const BuiltContext one = build_context("What do barn owls eat?", ranked, o);
  ASSERT_EQ(one.sentences, 1) << one.text;
  EXPECT_NE(one.text.find("<<<SOURCES"), std::string::npos);
  EXPECT_EQ(one.text.find("Filler sentence number 30"), std::string::npos) << "only the best chunk";
  o.chunks = 3;
  const BuiltContext three = build_context("What do barn owls eat?", ranked, o);
  EXPECT_GT(three.tokens, one.tokens);
  EXPECT_NE(three.text.find("Voles are eaten by barn owls."), std::string::npos) << three.text;
  o.token_budget = 40;  // too small for the long chunk: the weakest whole chunks go
  EXPECT_LE(build_context("What do barn owls eat?", ranked, o).tokens, 40);
}

TEST(ContextExtension, FollowUpStartsWithTheFirstBlock) {
  ContextOptions o = adaptive();
  o.best_neighbors = 1;  // the first block holds the sentences around its pick
  const BuiltContext first = build_context("When was the Kings Bridge opened?", bridge_pages(), o);
  ASSERT_FALSE(first.text.empty());
  ASSERT_NE(first.text.find("The bridge is 120 metres long."), std::string::npos) << first.text;
  ASSERT_EQ(first.text.find("Its iron came from Wales."), std::string::npos) << first.text;
  ASSERT_EQ(first.picked.size(), first.sources.size());
  // The follow-up's best evidence was sent already: the block grows around it.
  ContextOptions filling = o;
  filling.confidence = 1;  // the sent units hold the belief already: fill up to the extension cap
  const BuiltContext second =
      build_context("Until when did trams cross it?", bridge_pages(), filling, estimate_tokens, &first);
  ASSERT_TRUE(second.extends_prior) << first.text << "---\n" << second.text;
  const std::string head = first.text.substr(0, first.text.size() - kClose.size());
  EXPECT_EQ(second.text.compare(0, head.size(), head), 0) << "byte for byte:\n" << first.text << "---\n" << second.text;
  const size_t more = second.text.find("\n[1] … ", head.size() - 1);
  ASSERT_NE(more, std::string::npos) << "a continuation line for source 1:\n" << second.text;
  EXPECT_NE(second.text.find("Its iron came from Wales.", more), std::string::npos) << second.text;
  EXPECT_EQ(second.text.substr(second.text.size() - kClose.size()), kClose);
  ASSERT_GE(second.sources.size(), first.sources.size());
  for (size_t i = 0; i < first.sources.size(); ++i) {
    EXPECT_EQ(second.sources[i].url, first.sources[i].url);
    EXPECT_EQ(second.sources[i].n, static_cast<int>(i) + 1);
  }
  EXPECT_EQ(second.tokens, estimate_tokens(second.text));
  // A question whose best evidence the block does not hold gets a block of its own.
  const BuiltContext third = build_context("When did salmon return to the river Aire?", bridge_pages(), o, estimate_tokens, &second);
  EXPECT_FALSE(third.extends_prior) << third.text;
  EXPECT_NE(third.text.find("2017"), std::string::npos) << third.text;
  EXPECT_EQ(third.text.find("1850"), std::string::npos) << "the bridge's sentences are another question's:\n" << third.text;
  ASSERT_FALSE(third.sources.empty());
  EXPECT_EQ(third.sources[0].url, "https://rivers.example/aire");
}

// Issue #26: a hub page (a list, an index) comes back for unrelated questions.
// Sharing it does not make the second question a follow-up of the first.
TEST(ContextExtension, UnrelatedQuestionOverASharedPageBuildsFresh) {
  const Source hub = make_source("List of Yorkshire landmarks", "https://hub.example/landmarks",
                                 "Landmarks of Yorkshire include the Kings Bridge in Leeds and the Ribblehead "
                                 "Viaduct. See also: river Aire, Yorkshire Dales.");
  const std::vector<Source> pages = bridge_pages();
  const Source viaduct = make_source("Ribblehead Viaduct", "https://rail.example/ribblehead",
                                     "The Ribblehead Viaduct carries the Settle-Carlisle railway. It has 24 arches. "
                                     "Its construction took 2,300 men from 1870 to 1874.");
  const ContextOptions o;
  const BuiltContext first = build_context("When was the Kings Bridge opened?", {hub, pages[0]}, o);
  ASSERT_NE(first.text.find("1850"), std::string::npos) << first.text;
  ContextMemory memory;
  memory.remember("system", first);
  const std::string q2 = "How many arches does the Ribblehead Viaduct have?";
  const std::vector<Source> ranked2 = {hub, viaduct};
  const std::optional<Evidence> best = best_evidence(q2, ranked2, o);
  ASSERT_TRUE(best);
  EXPECT_EQ(best->url, "https://rail.example/ribblehead");
  EXPECT_FALSE(memory.find("system", *best)) << "the remembered block does not hold this question's evidence";
  const BuiltContext second = build_context(q2, ranked2, o, estimate_tokens, &first);
  EXPECT_FALSE(second.extends_prior);
  EXPECT_NE(second.text.find("24 arches"), std::string::npos) << second.text;
  EXPECT_EQ(second.text.find("1850"), std::string::npos) << second.text;
  for (const Source& s : second.sources) EXPECT_NE(s.url, pages[0].url) << second.text;
  ASSERT_FALSE(second.sources.empty());
  EXPECT_EQ(second.sources[0].url, "https://rail.example/ribblehead") << second.text;
}

TEST(ContextExtension, NothingNewWhenTheAnswerWasSentAlready) {
  const ContextOptions o = adaptive();
  const BuiltContext first = build_context("When was the Kings Bridge opened?", bridge_pages(), o);
  const BuiltContext again = build_context("In what year was the Kings Bridge opened?", bridge_pages(), o, estimate_tokens, &first);
  EXPECT_TRUE(again.extends_prior);
  EXPECT_EQ(again.text, first.text);
  EXPECT_EQ(again.sentences, 0);
}

TEST(ContextExtension, FreshBlockWhenTheBestSentenceNoLongerFits) {
  ContextOptions o = adaptive();
  const BuiltContext first = build_context("Where does the river Aire rise?", bridge_pages(), o);
  ASSERT_FALSE(first.text.empty());
  ASSERT_EQ(first.text.find("opened in 1850"), std::string::npos) << first.text;
  // This question's room is no larger than the first block (e.g. its history grew).
  o.token_budget = first.tokens + 2;
  o.room_tokens = first.tokens + 2;
  const BuiltContext second = build_context("When was the Kings Bridge opened by the mayor?", bridge_pages(), o,
                                            estimate_tokens, &first);
  EXPECT_FALSE(second.extends_prior);
  EXPECT_NE(second.text.find("opened in 1850"), std::string::npos) << second.text;
  EXPECT_LE(second.tokens, o.token_budget);
}

TEST(ContextMemory, SamePrefixAndEvidenceOnly) {
  ContextOptions o = adaptive();
  o.best_neighbors = 1;
  const std::vector<Source> pages = bridge_pages();
  const BuiltContext block = build_context("When was the Kings Bridge opened?", pages, o);
  ContextMemory memory(2);
  memory.remember("system A", block);
  const Evidence held{"https://bridges.example/kings", "It was opened in 1850 by the mayor."};
  const Evidence elsewhere{"https://rivers.example/aire", "Salmon returned to the Aire in 2017."};
  ASSERT_TRUE(holds(block, held)) << block.text;
  EXPECT_TRUE(memory.find("system A", held));
  EXPECT_FALSE(memory.find("system B", held)) << "another prompt prefix holds other KV";
  EXPECT_FALSE(memory.find("system A", elsewhere)) << "the block does not hold this evidence";
  EXPECT_FALSE(memory.find("system A", Evidence{"https://other.example/", held.unit})) << "same words, another page";
  // A newer block over the same pages supersedes the older one; capacity is LRU.
  const BuiltContext longer = build_context("How long is the Kings Bridge?", pages, o, estimate_tokens, &block);
  ASSERT_TRUE(longer.extends_prior) << longer.text;
  memory.remember("system A", longer);
  EXPECT_EQ(memory.size(), 1u);
  EXPECT_EQ(memory.find("system A", held)->text, longer.text);
  memory.remember("system B", block);
  memory.remember("system C", block);
  EXPECT_EQ(memory.size(), 2u);
  EXPECT_FALSE(memory.find("system A", held));
  EXPECT_TRUE(memory.find("system C", held));
}
