// A whole owlet on loopback, assembled as `owlet serve` assembles it: a fixture
// web (a SearxNG-shaped search API and pages) that each test routes, a fresh
// knowledge base in a temp dir, the stack built from a Config by
// app::build_stack (the composition root), and the real HTTP server.
//
//   AnswerWorld w;
//   w.web.route("GET", "/search", ...);
//   w.set("engine", "extractive");
//   w.start();
//   auto res = w.cli->Post("/api/answer", ...);
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <memory>
#include <string>

#include "app/stack.h"
#include "config/config.h"
#include "server/server.h"
#include "support/test_support.h"
#include "web/fixture_server.h"

namespace owlet::test {

struct AnswerWorld {
  TempDir dir;
  web::test::FixtureServer web;
  Config cfg;
  app::StackOptions options;
  server::ServerOptions server_options;
  app::Stack stack;
  std::unique_ptr<server::Server> srv;
  std::unique_ptr<httplib::Client> cli;
  std::string model = fixture_model("qwen2-tiny");

  // The fixture web is started here (routes can be added any time); the config
  // points its search provider at it, its knowledge base into the temp dir, and
  // the tiny model, greedy, 2 slots of 2048 tokens, on 2 threads.
  AnswerWorld() {
    web.start();
    set("knowledge_path", (dir.path() / "kb").string());
    set("model", model);
    set("search_providers", "searxng");
    set("searxng_url", "http://127.0.0.1:" + std::to_string(web.port()));
    set("allow_private", "127.0.0.1");
    set("parallel", "2");
    set("ctx_size", "2048");
    set("threads", "2");
    set("temperature", "0");
    server_options.port = 0;
  }
  ~AnswerWorld() {
    if (srv) srv->stop(0);
  }

  void set(const std::string& key, const std::string& value) {
    std::string err;
    EXPECT_TRUE(config_set(cfg, key, value, &err)) << key << ": " << err;
  }

  // Builds the stack and starts the server; false (with a test failure) when either fails.
  bool start() {
    Error err;
    if (!app::build_stack(cfg, options, &stack, &err)) {
      ADD_FAILURE() << "build_stack: " << err;
      return false;
    }
    if (server_options.default_model.empty()) server_options.default_model = cfg.model;
    server::ServerServices sv{stack.pipeline.get(), stack.knowledge.kb.get(), stack.http.get(), {}, &stack.metrics};
    if (stack.experiment.active())
      sv.choose_pipeline = [this](const std::string& id, std::string* arm) { return stack.choose(id, arm); };
    srv = std::make_unique<server::Server>(server_options, *stack.models, sv);
    if (!srv->start(&err)) {
      ADD_FAILURE() << "server: " << err;
      return false;
    }
    cli = std::make_unique<httplib::Client>("127.0.0.1", srv->port());
    cli->set_read_timeout(120, 0);
    return true;
  }
};

}  // namespace owlet::test
