#include "web/logging_search.h"

#include <nlohmann/json.hpp>

namespace owlet::web::test {

LoggingSearchApi::LoggingSearchApi(std::string title, std::string snippet, std::string page_html) {
  server_.route("GET", "/search", [this, title, snippet](const FixtureRequest& q) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queries_.push_back(q.param("q"));
    }
    FixtureResponse r;
    r.content_type = "application/json";
    r.body = nlohmann::json{{"results", nlohmann::json::array({{{"url", server_.url("/page")},
                                                                {"title", title},
                                                                {"content", snippet}}})}}
                 .dump();
    return r;
  });
  server_.route("GET", "/page", [page_html](const FixtureRequest&) {
    FixtureResponse r;
    r.body = page_html;
    return r;
  });
  server_.start();
}

std::string LoggingSearchApi::base_url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }

std::vector<std::string> LoggingSearchApi::queries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queries_;
}

size_t LoggingSearchApi::count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queries_.size();
}

}  // namespace owlet::web::test
