// What leaves the machine in a web search: the ask, never the pasted material,
// bounded in words.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "answer/prompt_parts.h"
#include "answer/search_query.h"

using namespace owlet::answer;

namespace {

const char* kDocument =
    "Quarterly results for the Northwind Lantern Company were strong across every region. "
    "Revenue rose by eleven percent while the cost of lantern glass fell for the third quarter in a row. "
    "The board thanked the night shift in the Tromsø workshop for shipping ahead of the winter season. "
    "Margins are expected to narrow slightly when the new wick factory opens next spring.";

std::vector<std::string> words_of(const std::string& s) {
  std::vector<std::string> w;
  std::istringstream in(s);
  for (std::string x; in >> x;) w.push_back(x);
  return w;
}

// No run of four consecutive words of `material` appears in `query`.
void expect_no_material(const std::string& query, const std::string& material) {
  const std::vector<std::string> w = words_of(material);
  for (size_t i = 0; i + 4 <= w.size(); ++i) {
    const std::string gram = w[i] + " " + w[i + 1] + " " + w[i + 2] + " " + w[i + 3];
    EXPECT_EQ(query.find(gram), std::string::npos) << "query carries pasted text: '" << gram << "' in: " << query;
  }
}

}  // namespace

TEST(PromptParts, SetsPastedMaterialApart) {
  PromptParts p = split_prompt(std::string("Summarize this report.\n\n") + kDocument);
  EXPECT_EQ(p.ask, "Summarize this report.");
  EXPECT_TRUE(p.document);
  EXPECT_GT(p.material_words, 50);

  p = split_prompt("Why does this crash?\n```cpp\nint* p = nullptr;\n*p = 1;\n```");
  EXPECT_EQ(p.ask, "Why does this crash?");
  EXPECT_TRUE(p.code);

  p = split_prompt("> The quick brown fox jumps over the lazy dog\nWhat does this sentence demonstrate?");
  EXPECT_EQ(p.ask, "What does this sentence demonstrate?");
  EXPECT_TRUE(p.quoted);

  p = split_prompt(std::string("Translate this into German: ") + kDocument);
  EXPECT_EQ(p.ask, "Translate this into German:");
  EXPECT_TRUE(p.document);

  p = split_prompt(std::string("Is this true? \"") + kDocument + "\"");
  EXPECT_EQ(p.ask, "Is this true? …");
  EXPECT_TRUE(p.quoted);

  p = split_prompt("Who is the mayor of Oslo?");
  EXPECT_EQ(p.ask, "Who is the mayor of Oslo?");
  EXPECT_FALSE(p.pasted());
  EXPECT_EQ(p.words, 6);
  EXPECT_EQ(count_words("现任美国总统是谁"), 8) << "a CJK character counts as a word";
}

TEST(SearchQuery, TheQuestionNeverThePaste) {
  EXPECT_EQ(search_query("Who is the mayor of Oslo?"), "Who is the mayor of Oslo?");
  EXPECT_EQ(search_query("I moved to Lyon last year. Who is its mayor?"), "Who is its mayor?");
  const std::string pasted = std::string("Here is our internal report:\n\n") + kDocument +
                             "\n\nWho is the current CEO of Northwind Lantern Company?";
  const std::string q = search_query(pasted);
  EXPECT_EQ(q, "Who is the current CEO of Northwind Lantern Company?");
  expect_no_material(q, kDocument);
  EXPECT_EQ(search_query("```\nSELECT * FROM users;\n```"), "") << "all material: nothing to search for";
  EXPECT_EQ(search_query("这份报告的作者是谁？\n\n" + std::string(kDocument)), "这份报告的作者是谁？");
}

TEST(SearchQuery, BoundedInWords) {
  std::string long_q = "Which";
  for (int i = 0; i < 50; ++i) long_q += " word" + std::to_string(i);
  long_q += "?";
  const std::string q = search_query(long_q);
  EXPECT_EQ(count_words(q), kMaxQueryWords);
  EXPECT_EQ(q.substr(q.size() - 7), " word30");
  const std::string zh = search_query("一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十是谁？");
  EXPECT_EQ(count_words(zh), kMaxQueryWords);
  EXPECT_EQ(search_query("Who is the mayor of Oslo?", 3), "Who is the");
}
