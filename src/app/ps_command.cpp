#include "app/ps_command.h"

#include <httplib.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/cli_config.h"
#include "app/exit_codes.h"
#include "common/strings.h"
#include "config/config.h"

extern char** environ;

namespace owlet::app {
namespace {

using json = nlohmann::json;

struct PsArgs {
  FlagValues flags;
  std::string api_key;
};

void fail(const std::string& msg) { fprintf(stderr, "owlet: %s\n", msg.c_str()); }

// "4 minutes from now", "Forever" (a model kept loaded for good), as `ollama ps`.
std::string until_text(const std::string& rfc3339) {
  std::tm tm{};
  if (rfc3339.size() < 19 || !strptime(rfc3339.substr(0, 19).c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return "?";
  const long long left = static_cast<long long>(timegm(&tm)) - static_cast<long long>(time(nullptr));
  if (left > 10LL * 365 * 24 * 3600) return "Forever";
  if (left <= 0) return "Stopping...";
  if (left < 120) return std::to_string(left) + " seconds from now";
  if (left < 7200) return std::to_string(left / 60) + " minutes from now";
  return std::to_string(left / 3600) + " hours from now";
}

int run_ps(const PsArgs& a) {
  Config cfg;
  std::string err;
  if (!config_resolve(cfg, a.flags.config_path, environ, a.flags.values, &err)) {
    fail(err);
    return kExitUsage;
  }
  // A server bound to every address is reached on loopback.
  std::string host = cfg.host == "0.0.0.0" || cfg.host == "::" || cfg.host.empty() ? "127.0.0.1" : cfg.host;
  const std::string where = "http://" + host + ":" + std::to_string(cfg.port);
  httplib::Client cli(host, cfg.port);
  cli.set_connection_timeout(2, 0);
  cli.set_read_timeout(10, 0);
  std::string key = a.api_key;
  if (key.empty())
    if (const char* k = getenv("OWLET_API_KEY")) key = k;
  httplib::Headers headers;
  if (!key.empty()) headers.emplace("Authorization", "Bearer " + key);
  auto res = cli.Get("/api/ps", headers);
  if (!res) {
    fail("no owlet server answers at " + where + " (start one with `owlet serve`, or give --host/--port)");
    return kExitError;
  }
  json j = json::parse(res->body, nullptr, false);
  if (res->status != 200 || !j.is_object() || !j.contains("models") || !j["models"].is_array()) {
    std::string why = j.is_object() && j.contains("error") && j["error"].is_string() ? j["error"].get<std::string>()
                                                                                     : "HTTP " + std::to_string(res->status);
    fail(where + "/api/ps: " + why);
    return res->status == 401 ? kExitUsage : kExitError;
  }
  size_t w = 4;
  for (const auto& m : j["models"]) w = std::max(w, m.value("name", std::string()).size());
  printf("%-*s  %-12s  %9s  %-9s  %s\n", static_cast<int>(w), "NAME", "ID", "SIZE", "PROCESSOR", "UNTIL");
  for (const auto& m : j["models"]) {
    const double size = m.value("size", 0.0), vram = m.value("size_vram", 0.0);
    std::string proc = vram <= 0 ? "100% CPU" : vram >= size ? "100% GPU"
                                                             : std::to_string(static_cast<int>(100 * (size - vram) / size)) + "%/" +
                                                                   std::to_string(static_cast<int>(100 * vram / size)) + "% CPU/GPU";
    printf("%-*s  %-12s  %9s  %-9s  %s\n", static_cast<int>(w), m.value("name", std::string()).c_str(),
           m.value("digest", std::string()).substr(0, 12).c_str(), human_bytes(size).c_str(), proc.c_str(),
           until_text(m.value("expires_at", std::string())).c_str());
  }
  return kExitOk;
}

}  // namespace

void register_ps(CLI::App& app, int* exit_code) {
  auto a = std::make_shared<PsArgs>();
  CLI::App* cmd = app.add_subcommand("ps", "List the models a running owlet server has loaded (GET /api/ps)");
  add_config_flags(cmd, {"host", "port"}, &a->flags);
  cmd->add_option("--api-key", a->api_key, "the server's API key [env OWLET_API_KEY]");
  cmd->callback([a, exit_code] { *exit_code = run_ps(*a); });
}

}  // namespace owlet::app
