// The knowledge endpoints over real loopback HTTP, with a real knowledge base in
// a temp dir and a real loopback web for URL ingest: success shapes, the
// add/unchanged/replaced/duplicate life of a document, uploads, SSRF refusal,
// and every error shape. Also the web UI's static files, which share the server.
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "kb/knowledge_base.h"
#include "server/server.h"
#include "support/test_support.h"
#include "web/fixture_server.h"
#include "web/http_client.h"

using json = nlohmann::json;
using namespace owlet;

namespace {

const char* kOwlPage =
    "<!doctype html><html lang=en><head><title>Barn owls at night</title></head><body>"
    "<nav><a href=/a>Home</a> <a href=/b>News</a></nav><main><h1>Barn owls at night</h1>"
    "<p>Barn owls hunt by sound alone. Their heart-shaped facial disc funnels the faint rustle of a vole "
    "toward ears set at different heights, so they can locate prey in total darkness.</p>"
    "<p>A pair of barn owls may eat more than a thousand rodents in a single breeding season.</p>"
    "</main><footer>copyright</footer></body></html>";

struct Running {
  test::TempDir dir;
  std::unique_ptr<kb::KnowledgeBase> kb;
  std::unique_ptr<web::HttpClient> http;
  std::unique_ptr<llm::ModelManager> models;
  std::unique_ptr<server::Server> srv;
  std::unique_ptr<httplib::Client> cli;
};

// with_kb = false: a server with no knowledge base. allow_loopback: whether the
// shared HTTP client may fetch 127.0.0.1 (tests' fixture web lives there).
std::unique_ptr<Running> start(bool with_kb = true, bool allow_loopback = true) {
  auto r = std::make_unique<Running>();
  owlet::Error err;
  if (with_kb) {
    r->kb = kb::KnowledgeBase::open((r->dir / "kb").string(), kb::KbOptions{}, &err);
    EXPECT_TRUE(r->kb) << err;
  }
  web::ClientOptions co;
  if (allow_loopback) co.ssrf.allow_cidrs = {"127.0.0.1"};
  co.request_timeout = std::chrono::milliseconds(5000);
  r->http = std::make_unique<web::HttpClient>(co);
  r->models = std::make_unique<llm::ModelManager>(llm::ModelManagerParams{});
  server::ServerServices sv;
  sv.kb = r->kb.get();
  sv.http = r->http.get();
  server::ServerOptions so;
  so.port = 0;
  so.max_body_bytes = 12 << 20;
  r->srv = std::make_unique<server::Server>(so, *r->models, sv);
  EXPECT_TRUE(r->srv->start(&err)) << err;
  r->cli = std::make_unique<httplib::Client>("127.0.0.1", r->srv->port());
  r->cli->set_read_timeout(60, 0);
  return r;
}

json parse(const std::string& s) { return json::parse(s, nullptr, false); }

json post_json(Running& r, const json& body, int expect_status) {
  auto res = r.cli->Post("/api/ingest", body.dump(), "application/json");
  EXPECT_TRUE(res) << "no response";
  if (!res) return json();
  EXPECT_EQ(res->status, expect_status) << res->body;
  EXPECT_NE(res->get_header_value("Content-Type").find("application/json"), std::string::npos);
  return parse(res->body);
}

void expect_error(const json& j, const std::string& contains) {
  ASSERT_TRUE(j.is_object() && j.contains("error") && j["error"].is_string()) << j.dump();
  EXPECT_NE(j["error"].get<std::string>().find(contains), std::string::npos) << j["error"];
}

}  // namespace

TEST(KbApi, TextLifecycleStatsAndSearch) {
  auto r = start();
  json body{{"text", "Snowy owls nest on the open Arctic tundra and hunt lemmings in daylight."},
            {"title", "Snowy owls"},
            {"source", "notes/snowy"}};
  json a = post_json(*r, body, 200);
  EXPECT_EQ(a["status"], "added");
  EXPECT_EQ(a["source"], "notes/snowy");
  EXPECT_GE(a["chunks"].get<int>(), 1);
  int64_t id = a["document_id"].get<int64_t>();
  EXPECT_GT(id, 0);

  json again = post_json(*r, body, 200);
  EXPECT_EQ(again["status"], "unchanged");
  EXPECT_EQ(again["document_id"], id);

  body["text"] = "Snowy owls nest on the open Arctic tundra; in lean lemming years they wander far south.";
  json rep = post_json(*r, body, 200);
  EXPECT_EQ(rep["status"], "replaced");

  // The same text under another source is a duplicate of the stored document, not a copy.
  json dup = post_json(*r, {{"text", body["text"]}, {"source", "notes/other"}}, 200);
  EXPECT_EQ(dup["status"], "duplicate");
  EXPECT_EQ(dup["document_id"], rep["document_id"]);

  // Pasted text with no source gets a stable one: pasting it again changes nothing.
  json anon = post_json(*r, {{"text", "# Owl pellets\nOwls cough up pellets of fur and bone."}}, 200);
  EXPECT_EQ(anon["status"], "added");
  EXPECT_EQ(anon["title"], "Owl pellets");
  EXPECT_EQ(post_json(*r, {{"text", "# Owl pellets\nOwls cough up pellets of fur and bone."}}, 200)["status"],
            "unchanged");

  auto st = r->cli->Get("/api/kb/stats");
  ASSERT_TRUE(st);
  ASSERT_EQ(st->status, 200) << st->body;
  json sj = parse(st->body);
  EXPECT_EQ(sj["documents"], 2);
  EXPECT_GE(sj["chunks"].get<int>(), 2);
  for (const char* k : {"schema_version", "vectors", "cached_answers", "text_bytes", "db_bytes", "cold_bytes",
                        "warm_bytes", "warm_enabled"})
    EXPECT_TRUE(sj.contains(k)) << k;

  auto se = r->cli->Get("/api/kb/search?q=lemming%20tundra&k=5");
  ASSERT_TRUE(se);
  ASSERT_EQ(se->status, 200) << se->body;
  json hj = parse(se->body);
  ASSERT_TRUE(hj["hits"].is_array());
  ASSERT_GE(hj["hits"].size(), 1u);
  const json& h = hj["hits"][0];
  EXPECT_EQ(h["n"], 1);
  EXPECT_EQ(h["source"], "notes/snowy");
  EXPECT_EQ(h["title"], "Snowy owls");
  EXPECT_NE(h["text"].get<std::string>().find("tundra"), std::string::npos);
  EXPECT_GT(h["score"].get<double>(), 0);
  EXPECT_EQ(h["document_id"], rep["document_id"]);
  EXPECT_GT(h["chunk_id"].get<int64_t>(), 0);
  EXPECT_TRUE(hj["took_ms"].is_number());
}

TEST(KbApi, BadJsonBodies) {
  auto r = start();
  auto res = r->cli->Post("/api/ingest", "{not json", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  expect_error(parse(res->body), "JSON");
  expect_error(post_json(*r, json::array({1, 2}), 400), "object");
  expect_error(post_json(*r, {{"title", "no text"}}, 400), "\"text\" or \"url\"");
  expect_error(post_json(*r, {{"text", 42}}, 400), "text");
  expect_error(post_json(*r, {{"text", "a"}, {"url", "https://example.com/"}}, 400), "not both");
  expect_error(post_json(*r, {{"text", "   \n\t"}}, 422), "empty");
  expect_error(post_json(*r, {{"url", "ftp://example.com/owls.txt"}}, 400), "url");
  expect_error(post_json(*r, {{"url", "not a url"}}, 400), "url");
  expect_error(post_json(*r, {{"text", std::string(9u << 20, 'a')}}, 413), "8 MiB");
  // Nothing above stored anything.
  EXPECT_EQ(parse(r->cli->Get("/api/kb/stats")->body)["documents"], 0);
}

TEST(KbApi, UrlIngestThroughTheSharedClient) {
  web::test::FixtureServer site;
  site.route("GET", "/owls", [](const web::test::FixtureRequest&) {
    return web::test::FixtureResponse{200, "text/html; charset=utf-8", kOwlPage};
  });
  site.route("GET", "/missing", [](const web::test::FixtureRequest&) {
    return web::test::FixtureResponse{404, "text/html", "gone"};
  });
  site.route("GET", "/image", [](const web::test::FixtureRequest&) {
    return web::test::FixtureResponse{200, "image/png", "\x89PNG\r\n"};
  });
  site.start();
  auto r = start();

  json a = post_json(*r, {{"url", site.url("/owls")}}, 200);
  EXPECT_EQ(a["status"], "added");
  EXPECT_EQ(a["source"], site.url("/owls"));
  EXPECT_EQ(a["title"], "Barn owls at night");
  auto se = r->cli->Get("/api/kb/search?q=vole%20darkness");
  ASSERT_TRUE(se);
  json hits = parse(se->body)["hits"];
  ASSERT_GE(hits.size(), 1u) << se->body;
  EXPECT_EQ(hits[0]["source"], site.url("/owls"));
  // Main text only: the navigation and footer were dropped by the extractor.
  std::string text;
  for (const auto& h : hits) text += h["text"].get<std::string>();
  EXPECT_EQ(text.find("copyright"), std::string::npos) << text;

  expect_error(post_json(*r, {{"url", site.url("/missing")}}, 502), "404");
  expect_error(post_json(*r, {{"url", site.url("/image")}}, 422), "content type");
}

TEST(KbApi, LoopbackUrlRefusedWhenNotAllowed) {
  web::test::FixtureServer site;
  site.route("GET", "/owls", [](const web::test::FixtureRequest&) {
    return web::test::FixtureResponse{200, "text/html", kOwlPage};
  });
  site.start();
  auto r = start(true, /*allow_loopback=*/false);
  json e = post_json(*r, {{"url", site.url("/owls")}}, 422);
  expect_error(e, "refused");
  expect_error(e, "loopback");
  // A host name that resolves to loopback is caught at connect time, not just IP literals.
  json e2 = post_json(*r, {{"url", "http://localhost:" + std::to_string(site.port()) + "/owls"}}, 422);
  expect_error(e2, "refused");
  EXPECT_EQ(site.hits(), 0) << "the guarded client must not have reached the site";
  EXPECT_EQ(parse(r->cli->Get("/api/kb/stats")->body)["documents"], 0);
}

TEST(KbApi, FileUploads) {
  auto r = start();
  httplib::MultipartFormDataItems md{
      {"file", "# Owl calls\n\nTawny owls call *twit* and answer *twoo*; the pair duet at dusk.\n", "calls.md",
       "text/markdown"}};
  auto res = r->cli->Post("/api/ingest", md);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  json j = parse(res->body);
  EXPECT_EQ(j["status"], "added");
  EXPECT_EQ(j["source"], "upload:calls.md");
  EXPECT_EQ(j["title"], "Owl calls");

  httplib::MultipartFormDataItems html{{"file", kOwlPage, "barn.html", "text/html"},
                                       {"source", "library/barn-owls", "", ""}};
  res = r->cli->Post("/api/ingest", html);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  j = parse(res->body);
  EXPECT_EQ(j["source"], "library/barn-owls");
  EXPECT_EQ(j["title"], "Barn owls at night");
  auto se = parse(r->cli->Get("/api/kb/search?q=vole")->body);
  ASSERT_GE(se["hits"].size(), 1u);
  EXPECT_EQ(se["hits"][0]["source"], "library/barn-owls");
  EXPECT_EQ(se["hits"][0]["text"].get<std::string>().find("<p>"), std::string::npos);

  // A binary file, an empty file and a form without "file" are refused with a reason.
  httplib::MultipartFormDataItems bin{{"file", std::string("%PDF-1.7\n\0\0\x01" "binary", 18), "paper.pdf",
                                       "application/pdf"}};
  res = r->cli->Post("/api/ingest", bin);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 422);
  expect_error(parse(res->body), "paper.pdf");
  httplib::MultipartFormDataItems empty{{"file", "", "empty.txt", "text/plain"}};
  res = r->cli->Post("/api/ingest", empty);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 422);
  expect_error(parse(res->body), "empty");
  httplib::MultipartFormDataItems nofile{{"text", "hello", "", ""}};
  res = r->cli->Post("/api/ingest", nofile);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  expect_error(parse(res->body), "\"file\"");
  EXPECT_EQ(parse(r->cli->Get("/api/kb/stats")->body)["documents"], 2);
}

TEST(KbApi, SearchParameters) {
  auto r = start();
  for (const char* path : {"/api/kb/search", "/api/kb/search?q=", "/api/kb/search?q=%20%20"}) {
    auto res = r->cli->Get(path);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << path;
    expect_error(parse(res->body), "\"q\"");
  }
  for (const char* path : {"/api/kb/search?q=owl&k=0", "/api/kb/search?q=owl&k=abc", "/api/kb/search?q=owl&k=1000"}) {
    auto res = r->cli->Get(path);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << path;
    expect_error(parse(res->body), "\"k\"");
  }
  // An empty knowledge base answers an empty list, not an error; so do FTS5 operator characters.
  for (const char* path : {"/api/kb/search?q=owl", "/api/kb/search?q=%22owl%20AND%20(*"}) {
    auto res = r->cli->Get(path);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << path << " " << res->body;
    EXPECT_TRUE(parse(res->body)["hits"].is_array());
  }
}

TEST(KbApi, NoKnowledgeBaseConfigured) {
  auto r = start(/*with_kb=*/false);
  auto a = r->cli->Post("/api/ingest", R"({"text":"x"})", "application/json");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 503);
  expect_error(parse(a->body), "no knowledge base is configured");
  for (const char* path : {"/api/kb/stats", "/api/kb/search?q=owl"}) {
    auto res = r->cli->Get(path);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 503) << path;
    expect_error(parse(res->body), "no knowledge base is configured");
  }
}

// The chat UI's static files share this server (web_ui.cpp): served byte for byte
// from the binary, with types and revalidation; "/" serves them to browsers only.
TEST(WebUi, ServedFromTheBinary) {
  auto r = start(/*with_kb=*/false);
  auto probe = r->cli->Get("/", {{"Accept", "*/*"}});
  ASSERT_TRUE(probe);
  EXPECT_EQ(probe->body, "owlet is running");  // what Ollama clients check

  auto page = r->cli->Get("/", {{"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}});
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(page->body, test::read_file(std::filesystem::path(OWLET_SOURCE_DIR) / "web/index.html"));
  EXPECT_NE(page->get_header_value("Content-Security-Policy").find("default-src 'self'"), std::string::npos);
  std::string etag = page->get_header_value("ETag");
  EXPECT_FALSE(etag.empty());
  EXPECT_EQ(page->get_header_value("Cache-Control"), "no-cache");

  auto ui = r->cli->Get("/ui/");
  ASSERT_TRUE(ui);
  EXPECT_EQ(ui->body, page->body);
  auto bare = r->cli->Get("/ui");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->status, 302);
  EXPECT_EQ(bare->get_header_value("Location"), "/ui/");

  // Unchanged: 304 with no body.
  auto again = r->cli->Get("/ui/index.html", {{"If-None-Match", etag}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);
  EXPECT_TRUE(again->body.empty());

  // Every file the page and its modules load is there, with its type, byte for byte.
  std::vector<std::string> files;
  std::regex ref(R"re((?:src|href)="/ui/([^"]+)")re");
  for (std::sregex_iterator it(page->body.begin(), page->body.end(), ref), end; it != end; ++it)
    files.push_back((*it)[1]);
  std::string app = test::read_file(std::filesystem::path(OWLET_SOURCE_DIR) / "web/app.js");
  std::regex imp(R"re(from '\./([^']+)')re");
  for (std::sregex_iterator it(app.begin(), app.end(), imp), end; it != end; ++it) files.push_back((*it)[1]);
  ASSERT_GE(files.size(), 4u);  // style.css, app.js and its modules
  for (const auto& f : files) {
    auto res = r->cli->Get("/ui/" + f);
    ASSERT_TRUE(res) << f;
    EXPECT_EQ(res->status, 200) << f;
    std::string type = res->get_header_value("Content-Type");
    std::string want = f.size() > 4 && f.compare(f.size() - 4, 4, ".css") == 0 ? "text/css; charset=utf-8"
                                                                                : "text/javascript; charset=utf-8";
    EXPECT_EQ(type, want) << f;
    EXPECT_EQ(res->body, test::read_file(std::filesystem::path(OWLET_SOURCE_DIR) / "web" / f)) << f;
  }

  auto missing = r->cli->Get("/ui/nope.js");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  expect_error(parse(missing->body), "no such UI file");
  auto escape = r->cli->Get("/ui/../server/server.cpp");
  ASSERT_TRUE(escape);
  EXPECT_EQ(escape->status, 404);
}
