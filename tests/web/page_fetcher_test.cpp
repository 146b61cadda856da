// Page fetching end to end: HTTP -> charset -> extraction -> knowledge cache.
#include <gtest/gtest.h>

#include "web/fixture_server.h"
#include "web/page_fetcher.h"

namespace owlet::web {
namespace {

using namespace std::chrono_literals;
using test::FixtureRequest;
using test::FixtureResponse;
using test::FixtureServer;

ClientOptions loopback() {
  ClientOptions o;
  o.ssrf.allow_cidrs = {"127.0.0.1"};
  return o;
}

TEST(PageFetcher, FetchesExtractsAndCaches) {
  FixtureServer s;
  s.route("GET", "/gbk", [](const FixtureRequest&) {
    return FixtureResponse{200, "text/html; charset=gbk",
                           "<html lang=zh><head><title>\xD6\xD0\xCE\xC4</title></head><body><nav>menu</nav>"
                           "<main><p>\xD6\xD0\xCE\xC4\xCD\xF8\xD2\xB3</p></main></body></html>"};
  });
  s.route("GET", "/moved", [&](const FixtureRequest&) {
    FixtureResponse r{301, "text/plain", ""};
    r.headers = {{"Location", "/plain"}};
    return r;
  });
  s.route("GET", "/plain", [](const FixtureRequest&) { return FixtureResponse{200, "text/plain", "first para\n\nsecond para"}; });
  s.route("GET", "/image", [](const FixtureRequest&) { return FixtureResponse{200, "image/png", "\x89PNG"}; });
  s.route("GET", "/gone", [](const FixtureRequest&) { return FixtureResponse{404, "text/html", "nope"}; });
  s.start();
  HttpClient client(loopback());
  KnowledgeCache cache;
  std::vector<std::string> urls = {s.url("/gbk"), s.url("/moved"), s.url("/image"), s.url("/gone")};
  auto pages = fetch_pages(client, urls, 3s, &cache);
  ASSERT_EQ(pages.size(), 4u);
  ASSERT_TRUE(pages[0].error.ok()) << pages[0].error.message;
  EXPECT_EQ(pages[0].page.title, "中文");
  EXPECT_EQ(pages[0].page.text, "中文网页");
  EXPECT_EQ(pages[0].page.language, "zh");
  ASSERT_TRUE(pages[1].error.ok()) << pages[1].error.message;
  EXPECT_EQ(pages[1].final_url, s.url("/plain"));
  EXPECT_EQ(pages[1].page.text, "first para\n\nsecond para");
  EXPECT_EQ(pages[2].error.kind, ErrorKind::unprocessable);
  EXPECT_EQ(pages[3].error.kind, ErrorKind::http_status);
  EXPECT_EQ(pages[3].status, 404);

  int hits_before = s.hits();
  auto again = fetch_pages(client, {s.url("/gbk"), s.url("/plain")}, 3s, &cache);
  EXPECT_EQ(s.hits(), hits_before) << "both pages must come from the cache";
  EXPECT_TRUE(again[0].from_cache);
  EXPECT_EQ(again[0].page.text, "中文网页");
  EXPECT_EQ(again[0].page.title, "中文");
  EXPECT_TRUE(again[1].from_cache);  // stored under its final URL too
  EXPECT_GE(cache.stats().hits, 2u);
}

TEST(PageFetcher, SerializationRoundTrips) {
  ExtractedPage p = extract_html("<html lang=en><head><title>T</title><meta name=date content=2024-01-01></head><body>"
                                 "<h2>H</h2><ul><li>a</li></ul><p>x <a href='https://l.example/'>y</a> z</p></body></html>");
  ExtractedPage q;
  ASSERT_TRUE(deserialize_page(serialize_page(p), q));
  EXPECT_EQ(q.text, p.text);
  EXPECT_EQ(q.title, "T");
  EXPECT_EQ(q.published, "2024-01-01");
  ASSERT_EQ(q.links.size(), 1u);
  EXPECT_TRUE(q.links[0].in_main);
  EXPECT_FALSE(deserialize_page("{broken", q));
}

}  // namespace
}  // namespace owlet::web
