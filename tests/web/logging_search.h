// A SearxNG-shaped search API on loopback that logs every query it receives: the
// tests of what leaves the machine (the router's privacy guard, tier none) read its
// log. Every search answers with one result pointing at /page, which serves `page_html`.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "web/fixture_server.h"

namespace owlet::web::test {

class LoggingSearchApi {
 public:
  LoggingSearchApi(std::string title, std::string snippet, std::string page_html);
  // "http://127.0.0.1:PORT" (config searxng_url).
  std::string base_url() const;
  // The q= of every search so far, in order.
  std::vector<std::string> queries() const;
  size_t count() const;

 private:
  FixtureServer server_;
  mutable std::mutex mu_;
  std::vector<std::string> queries_;
};

}  // namespace owlet::web::test
