// Pages in GBK, Big5, Shift_JIS, EUC-KR, Latin-1 and broken UTF-8 all come out
// as valid UTF-8 — both from decode_to_utf8 directly and through the client.
#include <gtest/gtest.h>

#include "web/charset.h"
#include "web/fixture_server.h"
#include "web/http_client.h"

namespace owlet::web {
namespace {

using test::FixtureRequest;
using test::FixtureResponse;
using test::FixtureServer;

// "中文网页" in GBK and in Big5 (bytes from the standards' tables).
const std::string kGbk = "\xD6\xD0\xCE\xC4\xCD\xF8\xD2\xB3";
const std::string kBig5 = "\xA4\xA4\xA4\xE5\xBA\xF4\xAD\xB6";
const std::string kZh = "中文网页";
const std::string kZhTrad = "中文網頁";

TEST(Charset, LabelsFromHeaderAndMeta) {
  EXPECT_EQ(charset_from_content_type("text/html; charset=GBK"), "gbk");
  EXPECT_EQ(charset_from_content_type("text/html;charset=\"big5\""), "big5");
  EXPECT_EQ(charset_from_content_type("text/html"), "");
  EXPECT_EQ(sniff_meta_charset("<html><head><meta charset=\"gb2312\"><title>"), "gb2312");
  EXPECT_EQ(sniff_meta_charset("<META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=Shift_JIS\">"), "shift_jis");
  EXPECT_EQ(sniff_meta_charset("<html><body>no meta</body>"), "");
  EXPECT_EQ(normalize_charset_label("GB2312"), "GB18030");
  EXPECT_EQ(normalize_charset_label("iso-8859-1"), "windows-1252");
  EXPECT_EQ(normalize_charset_label("no-such-charset-xyz"), "");
}

TEST(Charset, DecodesGbkAndBig5FromHeader) {
  DecodedText g = decode_to_utf8("<p>" + kGbk + "</p>", "text/html; charset=gbk");
  EXPECT_EQ(g.text, "<p>" + kZh + "</p>");
  EXPECT_EQ(g.source, "header");
  DecodedText b = decode_to_utf8("<p>" + kBig5 + "</p>", "text/html; charset=big5");
  EXPECT_EQ(b.text, "<p>" + kZhTrad + "</p>");
}

TEST(Charset, DecodesFromMetaWhenHeaderSilent) {
  std::string page = "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\"></head><body>" +
                     kGbk + "</body></html>";
  DecodedText d = decode_to_utf8(page, "text/html");
  EXPECT_NE(d.text.find(kZh), std::string::npos);
  EXPECT_EQ(d.source, "meta");
}

TEST(Charset, ShiftJisEucKrAndLatin1) {
  // "日本語" in Shift_JIS, "한국어" in EUC-KR, "café" in ISO-8859-1.
  EXPECT_EQ(decode_to_utf8("\x93\xFA\x96\x7B\x8C\xEA", "text/plain; charset=shift_jis").text, "日本語");
  EXPECT_EQ(decode_to_utf8("\xC7\xD1\xB1\xB9\xBE\xEE", "text/plain; charset=euc-kr").text, "한국어");
  EXPECT_EQ(decode_to_utf8("caf\xE9", "text/plain; charset=iso-8859-1").text, "café");
}

TEST(Charset, DetectsUndeclaredGbk) {
  // A longer undeclared GBK page: ICU's detector needs some text to be confident.
  std::string text;
  for (int i = 0; i < 40; ++i) text += kGbk + "\xA3\xAC";  // "中文网页，"
  DecodedText d = decode_to_utf8("<html><body><p>" + text + "</p></body></html>", "text/html");
  EXPECT_EQ(d.source, "detected");
  EXPECT_NE(d.text.find(kZh + "，" + kZh), std::string::npos) << d.charset;
  EXPECT_TRUE(is_valid_utf8(d.text));
}

TEST(Charset, InvalidBytesReplacedNeverPassedOn) {
  std::string broken = "ok \xFF\xFE bad \xC3 trunc \xE4\xB8 end \xED\xA0\x80 surrogate";
  std::string clean = sanitize_utf8(broken);
  EXPECT_TRUE(is_valid_utf8(clean));
  EXPECT_NE(clean.find("ok "), std::string::npos);
  EXPECT_NE(clean.find("\xEF\xBF\xBD"), std::string::npos);
  DecodedText d = decode_to_utf8(broken, "text/html; charset=utf-8");
  EXPECT_TRUE(is_valid_utf8(d.text));
  DecodedText g = decode_to_utf8("\xD6\xD0\xFF\xFF\x81", "text/html; charset=gbk");  // truncated/invalid GBK
  EXPECT_TRUE(is_valid_utf8(g.text));
  EXPECT_EQ(g.text.substr(0, 3), "中");
  DecodedText bom = decode_to_utf8("\xEF\xBB\xBFhello", "text/html; charset=gbk");  // BOM wins
  EXPECT_EQ(bom.text, "hello");
}

TEST(Charset, ClientReturnsUtf8ForGbkAndBig5Pages) {
  FixtureServer s;
  s.route("GET", "/gbk", [](const FixtureRequest&) {
    return FixtureResponse{200, "text/html; charset=GBK", "<html><body><p>" + kGbk + "</p></body></html>"};
  });
  s.route("GET", "/big5-meta", [](const FixtureRequest&) {
    return FixtureResponse{200, "text/html", "<html><head><meta charset=big5></head><body>" + kBig5 + "</body></html>"};
  });
  s.start();
  ClientOptions o;
  o.ssrf.allow_cidrs = {"127.0.0.1"};
  HttpClient c(o);
  HttpResponse g = c.get(s.url("/gbk"));
  ASSERT_TRUE(g.ok()) << g.error.message;
  EXPECT_EQ(g.text, "<html><body><p>" + kZh + "</p></body></html>");
  EXPECT_EQ(g.charset, "GB18030");
  EXPECT_EQ(g.body.find(kZh), std::string::npos);  // raw bytes stay raw
  HttpResponse b = c.get(s.url("/big5-meta"));
  ASSERT_TRUE(b.ok()) << b.error.message;
  EXPECT_NE(b.text.find(kZhTrad), std::string::npos) << b.text;
}

}  // namespace
}  // namespace owlet::web
