// Search providers against loopback fixtures that reproduce each API's real
// response shape, plus the parallel fan-out under one deadline.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "web/fixture_server.h"
#include "web/search_fanout.h"
#include "web/search_providers.h"
#include "web/url.h"

namespace owlet::web {
namespace {

using namespace std::chrono_literals;
using test::FixtureRequest;
using test::FixtureResponse;
using test::FixtureServer;
using Clock = std::chrono::steady_clock;

// Each test makes its client after starting its server, so the client (and its
// keep-alive connections) goes first and the server stops without waiting.
ClientOptions loopback() {
  ClientOptions o;
  o.ssrf.allow_cidrs = {"127.0.0.1"};
  return o;
}

ProviderResponse run_one(HttpClient& client, const SearchProvider& p, const SearchQuery& q) {
  return p.parse(q, client.fetch(p.build_request(q)));
}

// Shape of a SearxNG /search?format=json answer (searx/webapp.py, 2024).
const char* kSearxngBody = R"({
  "query": "owl hearing", "number_of_results": 0,
  "results": [
    {"url": "https://en.wikipedia.org/wiki/Barn_owl?utm_source=searx#Hearing", "title": "Barn owl - Wikipedia",
     "content": "The barn owl hunts by sound.", "engine": "wikipedia", "parsed_url": ["https","en.wikipedia.org","/wiki/Barn_owl","","",""],
     "template": "default.html", "engines": ["wikipedia","duckduckgo"], "positions": [1,3], "score": 4.5,
     "category": "general", "publishedDate": null, "thumbnail": null},
    {"url": "https://birds.example/owls", "title": "Owls hear in 3D", "content": "Asymmetric ears...",
     "engine": "bing", "engines": ["bing"], "positions": [2], "score": 1.0, "category": "news",
     "publishedDate": "2024-03-01T00:00:00"}
  ],
  "answers": [], "corrections": [], "infoboxes": [], "suggestions": ["owl ears"], "unresponsive_engines": [["google","timeout"]]
})";

TEST(SearchProviders, SearxngRequestAndParse) {
  FixtureServer s;
  FixtureRequest seen;
  s.route("GET", "/search", [&](const FixtureRequest& r) {
    seen = r;
    return FixtureResponse{200, "application/json", kSearxngBody};
  });
  s.start();
  HttpClient client(loopback());
  auto p = make_searxng_provider({s.url("/")});
  SearchQuery q{"owl hearing", 10, "en", "month", {"general", "news"}};
  ProviderResponse r = run_one(client, *p, q);
  ASSERT_TRUE(r.error.ok()) << r.error.message;
  EXPECT_EQ(seen.param("q"), "owl hearing");
  EXPECT_EQ(seen.param("format"), "json");
  EXPECT_EQ(seen.param("language"), "en");
  EXPECT_EQ(seen.param("time_range"), "month");
  EXPECT_EQ(seen.param("categories"), "general,news");
  ASSERT_EQ(r.results.size(), 2u);
  EXPECT_EQ(r.results[0].url, "https://en.wikipedia.org/wiki/Barn_owl");  // tracking + fragment gone
  EXPECT_EQ(r.results[0].title, "Barn owl - Wikipedia");
  EXPECT_EQ(r.results[0].snippet, "The barn owl hunts by sound.");
  EXPECT_EQ(r.results[0].provider, "searxng");
  EXPECT_EQ(r.results[0].rank, 1);
  EXPECT_EQ(r.results[1].published, "2024-03-01T00:00:00");
}

TEST(SearchProviders, SearxngJsonDisabledSaysSo) {
  FixtureServer s;
  s.route("GET", "/search", [](const FixtureRequest&) { return FixtureResponse{403, "text/html", "<h1>403 Forbidden</h1>"}; });
  s.start();
  HttpClient client(loopback());
  auto p = make_searxng_provider({s.url()});
  ProviderResponse r = run_one(client, *p, {"x"});
  EXPECT_EQ(r.error.kind, ErrorKind::http_status);
  EXPECT_NE(r.error.message.find("settings.yml"), std::string::npos) << r.error.message;
  EXPECT_NE(r.error.message.find("json"), std::string::npos);
}

// Shape of Brave's /res/v1/web/search answer.
const char* kBraveBody = R"({
  "type": "search",
  "query": {"original": "owl hearing", "show_strict_warning": false, "is_navigational": false, "country": "us"},
  "mixed": {"type": "mixed", "main": [{"type": "web", "index": 0, "all": false}]},
  "web": {"type": "search", "family_friendly": true, "results": [
    {"title": "How <strong>owls</strong> hear", "url": "https://science.example/owls?fbclid=abc",
     "is_source_local": false, "is_source_both": false,
     "description": "Owls locate prey by <strong>sound</strong> &amp; timing.", "page_age": "2023-11-02T10:00:00",
     "profile": {"name": "Science", "url": "https://science.example", "long_name": "science.example"},
     "language": "en", "family_friendly": true, "type": "search_result", "subtype": "generic",
     "meta_url": {"scheme": "https", "netloc": "science.example", "hostname": "science.example", "path": "› owls"},
     "age": "November 2, 2023", "extra_snippets": ["More text."]}
  ]}
})";

TEST(SearchProviders, BraveRequestAndParse) {
  FixtureServer s;
  FixtureRequest seen;
  s.route("GET", "/res/v1/web/search", [&](const FixtureRequest& r) {
    seen = r;
    if (r.header("X-Subscription-Token") != "brave-key") return FixtureResponse{401, "application/json", "{}"};
    return FixtureResponse{200, "application/json", kBraveBody};
  });
  s.start();
  HttpClient client(loopback());
  auto p = make_brave_provider({s.url(), "brave-key"});
  ProviderResponse r = run_one(client, *p, {"owl hearing", 5, "en", "week"});
  ASSERT_TRUE(r.error.ok()) << r.error.message;
  EXPECT_EQ(seen.param("q"), "owl hearing");
  EXPECT_EQ(seen.param("count"), "5");
  EXPECT_EQ(seen.param("freshness"), "pw");
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_EQ(r.results[0].title, "How owls hear");
  EXPECT_EQ(r.results[0].snippet, "Owls locate prey by sound & timing.");
  EXPECT_EQ(r.results[0].url, "https://science.example/owls");
  EXPECT_EQ(r.results[0].published, "2023-11-02T10:00:00");
  auto bad = make_brave_provider({s.url(), "wrong"});
  ProviderResponse denied = run_one(client, *bad, {"q"});
  EXPECT_NE(denied.error.message.find("API key"), std::string::npos) << denied.error.message;
}

TEST(SearchProviders, OllamaWebSearchAndFetch) {
  FixtureServer s;
  nlohmann::json seen;
  std::string auth;
  s.route("POST", "/api/web_search", [&](const FixtureRequest& r) {
    seen = nlohmann::json::parse(r.body, nullptr, false);
    auth = r.header("Authorization");
    return FixtureResponse{200, "application/json", R"({"results":[
      {"title":"Ollama","url":"https://ollama.com/","content":"Cloud models are now available..."},
      {"title":"What is Ollama?","url":"https://www.hostinger.com/tutorials/what-is-ollama","content":"Ariffud M. 6min Read..."}]})"};
  });
  s.route("POST", "/api/web_fetch", [&](const FixtureRequest& r) {
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    return FixtureResponse{200, "application/json",
                           nlohmann::json{{"title", "Page"}, {"content", "Fetched " + j.value("url", std::string())},
                                          {"links", {"https://a.example/", "https://b.example/"}}}
                               .dump()};
  });
  s.start();
  HttpClient client(loopback());
  OllamaSearchOptions o{s.url(), "ollama-key"};
  auto p = make_ollama_provider(o);
  ProviderResponse r = run_one(client, *p, {"what is ollama", 3});
  ASSERT_TRUE(r.error.ok()) << r.error.message;
  EXPECT_EQ(auth, "Bearer ollama-key");
  EXPECT_EQ(seen["query"], "what is ollama");
  EXPECT_EQ(seen["max_results"], 3);
  ASSERT_EQ(r.results.size(), 2u);
  EXPECT_EQ(r.results[1].url, "https://www.hostinger.com/tutorials/what-is-ollama");
  EXPECT_EQ(r.results[0].snippet, "Cloud models are now available...");

  WebFetchResult f = parse_ollama_fetch(client.fetch(make_ollama_fetch_request(o, "https://x.example/")));
  ASSERT_TRUE(f.error.ok()) << f.error.message;
  EXPECT_EQ(f.title, "Page");
  EXPECT_EQ(f.content, "Fetched https://x.example/");
  EXPECT_EQ(f.links.size(), 2u);
}

// MediaWiki action=query&generator=search&prop=extracts|info, formatversion=2.
// Pages arrive in page-id order; "index" is the search rank.
const char* kWikiBody = R"({"batchcomplete": true,
  "continue": {"gsroffset": 2, "continue": "gsroffset||"},
  "query": {"pages": [
    {"pageid": 100, "ns": 0, "title": "Eule", "index": 2, "contentmodel": "wikitext", "pagelanguage": "de",
     "touched": "2024-05-01T00:00:00Z", "lastrevid": 1, "length": 10,
     "fullurl": "https://de.wikipedia.org/wiki/Eule", "canonicalurl": "https://de.wikipedia.org/wiki/Eule",
     "extract": "Die Eulen sind eine Ordnung der Vögel."},
    {"pageid": 200, "ns": 0, "title": "Schleiereule", "index": 1, "contentmodel": "wikitext", "pagelanguage": "de",
     "fullurl": "https://de.wikipedia.org/wiki/Schleiereule", "extract": "Die Schleiereule ist eine Eule."}
  ]}})";

TEST(SearchProviders, WikipediaAnyLanguage) {
  FixtureServer s;
  FixtureRequest seen;
  s.route("GET", "/de/w/api.php", [&](const FixtureRequest& r) {
    seen = r;
    return FixtureResponse{200, "application/json; charset=utf-8", kWikiBody};
  });
  s.start();
  HttpClient client(loopback());
  WikipediaOptions o;
  o.base_url = s.url("/{lang}");
  auto p = make_wikipedia_provider(o);
  ProviderResponse r = run_one(client, *p, {"Eule", 5, "de-DE"});
  ASSERT_TRUE(r.error.ok()) << r.error.message;
  EXPECT_EQ(seen.param("action"), "query");
  EXPECT_EQ(seen.param("generator"), "search");
  EXPECT_EQ(seen.param("gsrsearch"), "Eule");
  EXPECT_EQ(seen.param("prop"), "extracts|info");
  ASSERT_EQ(r.results.size(), 2u);
  EXPECT_EQ(r.results[0].title, "Schleiereule");  // index 1 first
  EXPECT_EQ(r.results[1].snippet, "Die Eulen sind eine Ordnung der Vögel.");
  // A language that is not a language code cannot steer the host.
  HttpRequest evil = p->build_request({"x", 5, "evil.com/"});
  EXPECT_NE(evil.url.find("/en/w/api.php"), std::string::npos) << evil.url;
  // No hits: MediaWiki omits "query" entirely.
  std::vector<SearchResult> none;
  EXPECT_TRUE(parse_wikipedia_json(R"({"batchcomplete":true})", none).ok());
  EXPECT_TRUE(none.empty());
}

// Markup of html.duckduckgo.com/html/ results (one ad, two organic results).
const char* kDdgBody = R"(<!DOCTYPE html><html><body><div id="links" class="results">
<div class="result results_links results_links_deep result--ad">
  <div class="links_main links_deep result__body"><h2 class="result__title">
  <a rel="nofollow" class="result__a" href="https://duckduckgo.com/y.js?ad_provider=x">Buy owls</a></h2>
  <a class="result__snippet" href="#">Sponsored</a></div></div>
<div class="result results_links results_links_deep web-result ">
  <div class="links_main links_deep result__body">
    <h2 class="result__title"><a rel="nofollow" class="result__a"
      href="//duckduckgo.com/l/?uddg=https%3A%2F%2Fen.wikipedia.org%2Fwiki%2FBarn_owl%3Futm_medium%3Dddg&amp;rut=abc">Barn <b>owl</b> - Wikipedia</a></h2>
    <div class="result__extras"><div class="result__extras__url"><a class="result__url" href="#">en.wikipedia.org/wiki/Barn_owl</a></div></div>
    <a class="result__snippet" href="#">The <b>barn owl</b> is the most widely distributed species of owl.</a>
    <div class="clear"></div></div></div>
<div class="result results_links results_links_deep web-result ">
  <div class="links_main links_deep result__body">
    <h2 class="result__title"><a rel="nofollow" class="result__a" href="https://owls.example/facts">Owl facts</a></h2>
    <a class="result__snippet" href="#">Owls &amp; more.</a></div></div>
</div></body></html>)";

TEST(SearchProviders, DuckDuckGoHtml) {
  FixtureServer s;
  FixtureRequest seen;
  s.route("POST", "/html/", [&](const FixtureRequest& r) {
    seen = r;
    return FixtureResponse{200, "text/html; charset=UTF-8", kDdgBody};
  });
  s.start();
  HttpClient client(loopback());
  auto p = make_duckduckgo_provider({s.url(), "us-en"});
  ProviderResponse r = run_one(client, *p, {"barn owl", 10, "", "year"});
  ASSERT_TRUE(r.error.ok()) << r.error.message;
  EXPECT_EQ(seen.param("q"), "barn owl");
  EXPECT_EQ(seen.param("kl"), "us-en");
  EXPECT_EQ(seen.param("df"), "y");
  ASSERT_EQ(r.results.size(), 2u) << "the ad must be skipped";
  EXPECT_EQ(r.results[0].url, "https://en.wikipedia.org/wiki/Barn_owl");
  EXPECT_EQ(r.results[0].title, "Barn owl - Wikipedia");
  EXPECT_EQ(r.results[0].snippet, "The barn owl is the most widely distributed species of owl.");
  EXPECT_EQ(r.results[1].snippet, "Owls & more.");
}

TEST(SearchProviders, GarbageIsAnErrorNotACrash) {
  std::vector<SearchResult> out;
  for (const char* body : {"", "not json", "[1,2]", "{\"results\": 5}", "{\"results\": [1, null, {\"url\": 7}]}"}) {
    out.clear();
    Error e1 = parse_searxng_json(body, out);
    Error e2 = parse_ollama_search_json(body, out);
    parse_brave_json(body, out);
    parse_wikipedia_json(body, out);
    EXPECT_TRUE(out.empty()) << body;
    if (std::string(body).find("results\": [") == std::string::npos) {
      EXPECT_EQ(e1.kind, ErrorKind::parse) << body;
      EXPECT_EQ(e2.kind, ErrorKind::parse) << body;
    }
  }
}

TEST(Url, CanonicalizeForDedup) {
  EXPECT_EQ(canonicalize_url("HTTPS://Example.COM:443/a/b?utm_source=x&id=3&gclid=y#frag"), "https://example.com/a/b?id=3");
  EXPECT_EQ(canonicalize_url("http://example.com:80"), "http://example.com/");
  EXPECT_EQ(canonicalize_url("http://example.com:8080/x?"), "http://example.com:8080/x");
  EXPECT_EQ(canonicalize_url("https://example.com/?fbclid=1&utm_campaign=2"), "https://example.com/");
  EXPECT_EQ(canonicalize_url("ftp://example.com/"), "");
  EXPECT_EQ(canonicalize_url("javascript:alert(1)"), "");
  EXPECT_EQ(resolve_url("https://a.example/x/y.html", "../z?q=1"), "https://a.example/z?q=1");
  EXPECT_EQ(url_decode("a%20b+c%2"), "a b c%2");
}

// The fan-out: one good provider, one hanging, one with garbage JSON, one failing.
TEST(SearchFanout, SlowAndBrokenProvidersNeverSinkTheSearch) {
  FixtureServer s;
  s.route("GET", "/search", [](const FixtureRequest&) { return FixtureResponse{200, "application/json", kSearxngBody}; });
  s.route("GET", "/res/v1/web/search", [](const FixtureRequest&) {
    FixtureResponse r{200, "application/json", kBraveBody};
    r.delay = 5s;  // hangs far past the deadline
    return r;
  });
  s.route("POST", "/api/web_search", [](const FixtureRequest&) { return FixtureResponse{200, "application/json", "{\"results\": [tru"}; });
  s.route("GET", "/w/api.php", [](const FixtureRequest&) { return FixtureResponse{500, "text/html", "<h1>oops</h1>"}; });
  s.route("POST", "/html/", [](const FixtureRequest&) { return FixtureResponse{200, "text/html", kDdgBody}; });
  s.start();
  HttpClient client(loopback());
  auto searx = make_searxng_provider({s.url()});
  auto brave = make_brave_provider({s.url(), "k"});
  auto ollama = make_ollama_provider({s.url(), "k"});
  auto wiki = make_wikipedia_provider({s.url()});
  auto ddg = make_duckduckgo_provider({s.url()});
  std::vector<const SearchProvider*> all = {searx.get(), brave.get(), ollama.get(), wiki.get(), ddg.get()};

  auto t0 = Clock::now();
  SearchOutcome out = search_all(client, all, {"barn owl", 10}, 300ms);
  double took = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  // The hanging provider would hold the search for seconds; the deadline cuts it
  // (bound loose enough for a busy machine, far below the hang).
  EXPECT_LT(took, 3000) << "the hanging provider must not hold the search past its deadline";

  ASSERT_EQ(out.providers.size(), 5u);
  EXPECT_EQ(out.answered, (std::vector<std::string>{"searxng", "duckduckgo"}));
  EXPECT_EQ(out.providers[1].error.kind, ErrorKind::timeout);
  EXPECT_EQ(out.providers[2].error.kind, ErrorKind::parse);
  EXPECT_EQ(out.providers[3].error.kind, ErrorKind::http_status);
  EXPECT_NE(out.providers[3].error.message.find("500"), std::string::npos);

  // searxng and duckduckgo both found the barn owl page (with different tracking params).
  ASSERT_FALSE(out.results.empty());
  EXPECT_EQ(out.results[0].url, "https://en.wikipedia.org/wiki/Barn_owl");
  EXPECT_EQ(out.results[0].provider, "searxng,duckduckgo");
  EXPECT_EQ(out.results[0].rank, 1);
  int barn = 0;
  for (const auto& r : out.results) barn += r.url == "https://en.wikipedia.org/wiki/Barn_owl";
  EXPECT_EQ(barn, 1);
  EXPECT_EQ(out.results.size(), 3u);  // 2 + 2 - 1 duplicate
}

TEST(SearchFanout, MergeUsesReciprocalRankFusion) {
  ProviderResponse a{"a", {{"A1", "https://x.example/1", "", "", "a", 1}, {"A2", "https://x.example/2", "", "", "a", 2}}};
  ProviderResponse b{"b", {{"B1", "https://x.example/2", "", "", "b", 1}, {"B2", "https://x.example/3", "", "", "b", 2}}};
  auto merged = merge_results({a, b}, 10);
  ASSERT_EQ(merged.size(), 3u);
  EXPECT_EQ(merged[0].url, "https://x.example/2");  // found by both
  EXPECT_EQ(merged[1].url, "https://x.example/1");
  EXPECT_EQ(merge_results({a, b}, 1).size(), 1u);
}

}  // namespace
}  // namespace owlet::web
