// Faults of the outside world, through the whole server path: every search
// provider failure mode and every hostile page the fixture web can produce.
// Each time the answer still comes back within the deadline with the fallback
// noted, and the server stays up. Also the SSRF cases with search results that
// point at private addresses.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "integration/answer_world.h"
#include "kb/knowledge_base.h"
#include "web/http_client.h"

using json = nlohmann::json;
using namespace owlet;
using namespace std::chrono_literals;
using web::test::FixtureRequest;
using web::test::FixtureResponse;
using web::test::FixtureServer;

namespace {

// The search API lives at search.test (pinned to 127.0.0.1, allowed by name);
// the pages it returns are at plain 127.0.0.1 unless a test allows loopback.
struct Faulty : test::AnswerWorld {
  std::atomic<int> secret_hits{0};
  std::function<FixtureResponse(const FixtureRequest&)> search;  // the fault under test

  explicit Faulty(bool allow_loopback_pages) {
    web.route("GET", "/search", [this](const FixtureRequest& q) { return search(q); });
    web.route("GET", "/secret", [this](const FixtureRequest&) {
      ++secret_hits;
      FixtureResponse r;
      r.body = "<p>internal admin token 0xDEADBEEF</p>";
      return r;
    });
    web.route("GET", "/never-ends", [](const FixtureRequest&) {
      FixtureResponse r;
      r.stream = [](std::string& chunk) {
        std::this_thread::sleep_for(50ms);
        chunk = "<p>owl owl owl</p>";
        return true;  // forever, until the client gives up
      };
      return r;
    });
    web.route("GET", "/bomb", [](const FixtureRequest&) {
      FixtureResponse r;
      r.body = web::test::gzip_compress(std::string(64u << 20, ' '));
      r.headers = {{"Content-Encoding", "gzip"}};
      return r;
    });
    web.route("GET", "/loop", [](const FixtureRequest&) {
      FixtureResponse r;
      r.status = 302;
      r.headers = {{"Location", "/loop"}};
      return r;
    });
    web.route("GET", "/bad-utf8", [](const FixtureRequest&) {
      FixtureResponse r;
      r.body = "<p>Owl news today \xff\xfe\xc3\x28 broken \xed\xa0\x80 bytes: owls are fine.</p>";
      return r;
    });
    // The search API is reached by name (search.test, pinned to 127.0.0.1 and
    // allowed); the pages it lists are plain 127.0.0.1, refused unless allowed.
    set("searxng_url", "http://search.test:" + std::to_string(web.port()));
    set("allow_private", allow_loopback_pages ? "search.test,127.0.0.1" : "search.test");
    set("search_deadline_ms", "800");
    set("fetch_deadline_ms", "800");
    set("total_deadline_ms", "1500");
    set("engine", "extractive");  // the faults are upstream of generation
    options.tune_http = [port = web.port()](web::ClientOptions& co) {
      co.resolve = {"search.test:" + std::to_string(port) + ":127.0.0.1"};
      co.max_body_bytes = 2u << 20;
    };
    if (!start()) return;
    kb::Document d;
    d.source = "/notes/owls.md";
    d.title = "Owl notes";
    d.text = "Owl news from last month: the owl census counted 380 pairs of snowy owls.";
    stack.knowledge.kb->add(d);
    cli->set_read_timeout(60, 0);
  }

  std::string page(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(web.port()) + path; }

  // One answer over HTTP; checks the common contract and returns the body.
  json ask(const std::string& what, std::chrono::milliseconds limit = 4s) {
    auto t0 = std::chrono::steady_clock::now();
    auto res = cli->Post("/api/answer",
                         json{{"question", "What is the latest owl news today?"}, {"stream", false}, {"cache", false}}
                             .dump(),
                         "application/json");
    auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_TRUE(res) << what;
    if (!res) return json();
    EXPECT_EQ(res->status, 200) << what << ": " << res->body;
    EXPECT_LT(took, limit) << what << ": the deadline bounds the answer";
    EXPECT_EQ(cli->Get("/health")->status, 200) << what << ": the server is up";
    json j = json::parse(res->body, nullptr, false);
    EXPECT_TRUE(j.is_object()) << what;
    return j;
  }
};

FixtureResponse json_results(const std::vector<std::string>& urls) {
  json results = json::array();
  for (const auto& u : urls) results.push_back({{"url", u}, {"title", "Owl news"}, {"content", "Birds."}});
  FixtureResponse r;
  r.content_type = "application/json";
  r.body = json{{"results", results}}.dump();
  return r;
}

}  // namespace

TEST(Faults, SearchProviderFailuresFallBackToTheKnowledgeBase) {
  Faulty f(false);
  struct Case {
    const char* name;
    std::function<FixtureResponse(const FixtureRequest&)> fn;
  };
  std::vector<Case> cases = {
      {"HTTP 500", [](const FixtureRequest&) { return FixtureResponse{500, "text/plain", "boom"}; }},
      {"HTTP 429", [](const FixtureRequest&) {
         FixtureResponse r{429, "application/json", "{}"};
         r.headers = {{"Retry-After", "120"}};
         return r;
       }},
      {"garbage JSON", [](const FixtureRequest&) { return FixtureResponse{200, "application/json", "{\"results\": [tru"}; }},
      {"slow past the deadline", [](const FixtureRequest&) {
         FixtureResponse r = json_results({});
         r.delay = 5s;
         return r;
       }},
      {"endless body", [](const FixtureRequest&) {
         FixtureResponse r;
         r.content_type = "application/json";
         r.stream = [](std::string& chunk) {
           std::this_thread::sleep_for(20ms);
           chunk = std::string(4096, ' ');
           return true;
         };
         return r;
       }},
      {"invalid UTF-8", [](const FixtureRequest&) {
         return FixtureResponse{200, "application/json", "{\"results\":[{\"url\":\"\xff\xfe\",\"title\":\"\xc3\x28\"}]}"};
       }},
  };
  for (const auto& c : cases) {
    f.search = c.fn;
    json j = f.ask(c.name);
    EXPECT_EQ(j["route"]["tier"], "offline") << c.name << ": " << j.dump();
    EXPECT_EQ(j["route"]["offline"], true) << c.name;
    EXPECT_FALSE(j["route"]["note"].get<std::string>().empty()) << c.name;
    EXPECT_FALSE(j["route"]["web_errors"].empty()) << c.name;
    ASSERT_FALSE(j["sources"].empty()) << c.name << ": answered from the knowledge base";
    EXPECT_EQ(j["sources"][0]["url"], "/notes/owls.md") << c.name;
  }
  // The provider being down altogether (nothing listens): the same.
  f.web.stop();
  json j = f.ask("connection refused");
  EXPECT_EQ(j["route"]["tier"], "offline");
}

TEST(Faults, HostilePagesAreCutAndTheAnswerStillComes) {
  Faulty f(true);
  f.search = [&](const FixtureRequest&) {
    return json_results({f.page("/never-ends"), f.page("/bomb"), f.page("/loop"), f.page("/bad-utf8")});
  };
  json j = f.ask("hostile pages");
  std::string tier = j["route"]["tier"];
  EXPECT_TRUE(tier == "web-deep" || tier == "web-light") << j.dump();
  std::string errors = j["route"]["web_errors"].dump();
  EXPECT_NE(errors.find("/never-ends"), std::string::npos) << errors;
  EXPECT_NE(errors.find("/bomb"), std::string::npos) << errors;
  EXPECT_NE(errors.find("/loop"), std::string::npos) << errors;
  // The page with broken bytes is read, repaired (U+FFFD), and usable.
  bool utf8_page = false;
  for (const auto& s : j["sources"]) utf8_page |= s["url"].get<std::string>().find("/bad-utf8") != std::string::npos;
  EXPECT_TRUE(utf8_page) << j["sources"].dump() << "\n" << j["route"].dump();
  EXPECT_FALSE(j["answer"].get<std::string>().empty());
}

TEST(Faults, SearchResultsPointingAtPrivateAddressesAreNeverFetched) {
  Faulty f(false);
  f.search = [&](const FixtureRequest&) {
    return json_results({f.page("/secret"), "http://localhost:" + std::to_string(f.web.port()) + "/secret",
                         "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/admin",
                         "http://[::1]:" + std::to_string(f.web.port()) + "/secret"});
  };
  json j = f.ask("private addresses");
  EXPECT_EQ(f.secret_hits.load(), 0) << "no request reached the private page";
  std::string errors = j["route"]["web_errors"].dump();
  EXPECT_NE(errors.find("169.254.169.254"), std::string::npos) << errors;
  EXPECT_EQ(j.dump().find("DEADBEEF"), std::string::npos) << "nothing of the private page is in the answer";
  // Through grounded chat too.
  json chat{{"model", test::fixture_model("qwen2-tiny")},
            {"messages", json::array({{{"role", "user"}, {"content", "Any owl news today?"}}})},
            {"stream", false},
            {"options", {{"num_predict", 3}, {"web", "always"}}}};
  auto res = f.cli->Post("/api/chat", chat.dump(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(f.secret_hits.load(), 0);
}
