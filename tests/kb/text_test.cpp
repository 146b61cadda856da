#include <gtest/gtest.h>

#include "kb/fts_text.h"
#include "kb/html_text.h"
#include "common/simhash.h"
#include "kb/text.h"

namespace owlet::kb {
namespace {

TEST(Utf8, ValidatesAndReportsOffset) {
  EXPECT_TRUE(utf8_valid("plain ascii"));
  EXPECT_TRUE(utf8_valid("今天上海天气晴 ☀ 𝄞"));
  size_t bad = 0;
  EXPECT_FALSE(utf8_valid(std::string("ab\xC3", 3), &bad));  // truncated 2-byte sequence
  EXPECT_EQ(bad, 2u);
  EXPECT_FALSE(utf8_valid("\xC0\xAF", &bad));          // overlong '/'
  EXPECT_FALSE(utf8_valid("\xED\xA0\x80", &bad));      // UTF-16 surrogate
  EXPECT_FALSE(utf8_valid("\xF4\x90\x80\x80", &bad));  // above U+10FFFF
  EXPECT_FALSE(utf8_valid("x\xFFy", &bad));
  EXPECT_EQ(bad, 1u);
}

TEST(Utf8, SanitizeReplacesOnlyBadBytes) {
  EXPECT_EQ(utf8_sanitize("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(utf8_sanitize("天\xE5\xA4"), "天\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_TRUE(utf8_valid(utf8_sanitize("\xC0\xAF\xED\xA0\x80 ok")));
  EXPECT_EQ(utf8_sanitize("fine 天气"), "fine 天气");
}

TEST(Tokens, EstimateCountsWordsAndCjkCharacters) {
  EXPECT_EQ(estimate_tokens(""), 0);
  EXPECT_EQ(estimate_tokens("the cat sat"), 3);
  EXPECT_EQ(estimate_tokens("今天上海天气晴"), 7);
  EXPECT_EQ(estimate_tokens("hello, 世界!"), 3);
  EXPECT_EQ(estimate_tokens("internationalization"), 3);  // 20 chars: 1 + 19/8
}

TEST(Language, DetectsScripts) {
  EXPECT_EQ(detect_language("The quick brown fox jumps over the lazy dog."), "en");
  EXPECT_EQ(detect_language("今天上海天气晴，适合出门。"), "zh");
  EXPECT_EQ(detect_language("今日はとても良い天気ですね。"), "ja");
  EXPECT_EQ(detect_language("오늘 서울 날씨는 맑습니다."), "ko");
}

TEST(Question, NormalizationFoldsCaseWidthSpaceAndTrailingPunctuation) {
  EXPECT_EQ(normalize_question("  What is   HNSW? "), "what is hnsw");
  EXPECT_EQ(normalize_question("what is hnsw"), "what is hnsw");
  EXPECT_EQ(normalize_question("ＨＮＳＷ是什么？"), "hnsw是什么");  // fullwidth folded by NFKC
  EXPECT_EQ(normalize_question("Straße?!"), "strasse");
  EXPECT_NE(normalize_question("what is x"), normalize_question("what is y"));
}

TEST(Fts, CjkColumnIsBigramsAndLatinColumnDropsCjk) {
  EXPECT_EQ(fts_cjk_column("今天上海天气晴"), "今天 天上 上海 海天 天气 气晴 晴");
  EXPECT_EQ(fts_cjk_column("a 天 b"), "天");
  EXPECT_EQ(fts_cjk_column("only latin"), "");
  EXPECT_EQ(fts_latin_column("Shanghai上海weather"), "Shanghai weather");
}

TEST(Fts, QueryCombinesLatinWordsAndCjkBigrams) {
  EXPECT_EQ(fts_match_query("天气"), "{cjk} : (\"天气\")");
  EXPECT_EQ(fts_match_query("What is the weather"), "{latin} : (\"weather\")");
  EXPECT_EQ(fts_match_query("上海 weather?"), "{latin} : (\"weather\") OR {cjk} : (\"上海\")");
  EXPECT_EQ(fts_match_query("天"), "{cjk} : (\"天\" *)");
  EXPECT_EQ(fts_match_query("\"quoted\" NEAR(x"), "{latin} : (\"quoted\" OR \"NEAR\" OR \"x\")");
  EXPECT_EQ(fts_match_query("  ?! "), "");
  EXPECT_EQ(fts_match_query("who is it"), "{latin} : (\"who\" OR \"is\" OR \"it\")");
}

TEST(Fts, IndexTermFoldsLikeUnicode61) {
  EXPECT_EQ(index_term("Café"), "cafe");
  EXPECT_EQ(index_term("ÉCOLE"), "ecole");
  EXPECT_EQ(index_term("天气"), "天气");
  EXPECT_EQ(index_term("が"), "が");
  EXPECT_EQ(index_term("날씨"), "날씨");
  const auto t = search_terms("Über 天气 x 雨");
  EXPECT_EQ(t.latin, (std::vector<std::string>{"Über", "x"}));
  EXPECT_EQ(t.cjk, (std::vector<std::string>{"天气"}));
  EXPECT_EQ(t.cjk_prefix, (std::vector<std::string>{"雨"}));
}

TEST(Simhash, NearCopiesAreCloseAndDifferentTextsFar) {
  const std::string a =
      "The Panthers defense gave up just 308 points, ranking sixth in the league, while also leading the NFL in "
      "interceptions with 24 and boasting four Pro Bowl selections. Pro Bowl defensive tackle Kawann Short led the "
      "team in sacks with 11, while also forcing three fumbles and recovering two.";
  const std::string b = a + " Copyright example mirror.";
  const std::string c =
      "Hydrogen is the chemical element with the symbol H and atomic number 1. It is the lightest element and, at "
      "standard conditions, a gas of diatomic molecules with the formula H2, colorless and odorless.";
  const auto ha = simhash(a), hb = simhash(b), hc = simhash(c);
  EXPECT_GT(ha.shingles, 30);
  EXPECT_LE(hamming_distance(ha.hash, hb.hash), 6);
  EXPECT_GT(hamming_distance(ha.hash, hc.hash), 12);
  EXPECT_EQ(simhash("Case AND punctuation, ignored!").hash, simhash("case and punctuation ignored").hash);
}

TEST(Html, DropsScriptStyleNavAndKeepsParagraphs) {
  std::string title;
  const std::string text = html_to_text_basic(
      "<html><head><title>My &amp; Page</title><style>p{color:red}</style></head><body>"
      "<nav><a href=/>Home</a> <a>Menu</a></nav><script>var x = '<p>no</p>';</script>"
      "<h1>Heading</h1><p>First &lt;para&gt; &#20320;&#x597D;.</p><p>Second <b>bold</b> para.</p>"
      "<footer>Copyright</footer></body></html>",
      &title);
  EXPECT_EQ(title, "My & Page");
  EXPECT_EQ(text, "Heading\n\nFirst <para> 你好.\n\nSecond bold para.");
}

}  // namespace
}  // namespace owlet::kb
