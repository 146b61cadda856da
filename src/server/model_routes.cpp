// Ollama's model routes: /api/tags, /api/show, /api/ps, /api/delete and
// /api/pull, over the model store (src/models) and the loaded models.
#include "llm/chat_template.h"
#include "models/model_store.h"
#include "models/pull.h"
#include "server/model_list.h"
#include "server/server_context.h"
#include "web/http_client.h"

namespace owlet::server {
namespace {

// The model name of /api/show, /api/delete and /api/pull ("model", or the older
// "name"); false after answering the error.
bool model_name_field(const Req& req, JsonBody* b, std::string* name, Res& res) {
  Error err;
  if (!b->parse(req.body, &err)) {
    send_error(res, err);
    return false;
  }
  if (!b->str("model", name) || (name->empty() && !b->str("name", name))) {
    send_error(res, b->error());
    return false;
  }
  if (name->empty()) {
    send_error(res, ErrorKind::bad_request, "missing field 'model'");
    return false;
  }
  return true;
}

std::string parameter_size(uint64_t n) {
  char buf[32];
  if (n >= 1000000000ULL) snprintf(buf, sizeof buf, "%.1fB", static_cast<double>(n) / 1e9);
  else snprintf(buf, sizeof buf, "%.2fM", static_cast<double>(n) / 1e6);
  return buf;
}

json details_of(const models::GgufSummary& g) {
  return json{{"parent_model", ""},
              {"format", "gguf"},
              {"family", g.architecture},
              {"families", json::array({g.architecture})},
              {"parameter_size", parameter_size(g.n_params)},
              {"quantization_level", g.quantization}};
}

void handle_tags(Server::Impl& s, Res& res) {
  json models = json::array();
  for (const auto& m : list_models(s.opts))
    models.push_back({{"name", m.name},
                      {"model", m.name},
                      {"modified_at", rfc3339(std::chrono::system_clock::from_time_t(m.modified))},
                      {"size", m.size},
                      {"digest", m.digest},
                      {"details", details_of(m.gguf)}});
  send_json(res, 200, json{{"models", models}});
}

// Ollama's capabilities: what the model's chat template (tools, thinking) and
// metadata (an embedding architecture) say it can do. owlet serves no images
// and no fill-in-the-middle, so never "vision" or "insert".
json capabilities_of(const models::ModelDetails& d) {
  const std::string& arch = d.gguf.architecture;
  if (arch == "bert" || arch == "nomic-bert") return json::array({"embedding"});
  json caps = json::array({"completion"});
  Error err;
  if (auto t = llm::ChatTemplate::from_gguf(d.path, &err)) {
    if (t->caps().tools) caps.push_back("tools");
    if (t->caps().thinking) caps.push_back("thinking");
  }
  return caps;
}

void handle_show(Server::Impl& s, const Req& req, Res& res) {
  JsonBody b;
  std::string name;
  if (!model_name_field(req, &b, &name, res)) return;
  models::ModelStore store;
  models::ModelDetails d;
  // Names over the API are told from paths by spelling, never by the file system;
  // a served model is listed under its own name, so show its file.
  Error err;
  const ServedModel* served = served_model(s.opts, name);
  const bool ok = served ? store.show(served->path, &d, &err, models::PathRule::probe)
                         : store.show(name, &d, &err, models::PathRule::syntax);
  if (!ok) return send_error(res, err);
  const auto& g = d.gguf;
  json info{{"general.architecture", g.architecture},
            {"general.name", g.name},
            {"general.parameter_count", g.n_params},
            {g.architecture + ".context_length", g.context_length}};
  send_json(res, 200,
            json{{"modelfile", "# owlet: " + d.path + "\nFROM " + d.path + "\n"},
                 {"parameters", ""},
                 {"template", ""},
                 {"details", details_of(g)},
                 {"model_info", info},
                 {"capabilities", capabilities_of(d)},
                 {"modified_at", rfc3339(std::chrono::system_clock::from_time_t(d.entry.modified))}});
}

void handle_ps(Server::Impl& s, Res& res) {
  json models = json::array();
  for (const auto& l : s.models.loaded()) {
    models::GgufSummary g;
    models::read_gguf_summary(l.path, &g, nullptr);
    auto exp = l.expires_at == std::chrono::system_clock::time_point::max()
                   ? std::chrono::system_clock::now() + std::chrono::hours(24 * 365 * 100)
                   : l.expires_at;
    const std::string name = listed_name(s.opts, l.name, l.path);
    models.push_back({{"name", name},
                      {"model", name},
                      {"size", l.size_bytes},
                      {"digest", digest_of_path(s.opts, l.path)},
                      {"details", details_of(g)},
                      {"expires_at", rfc3339(exp)},
                      {"size_vram", 0}});
  }
  send_json(res, 200, json{{"models", models}});
}

void handle_delete_model(Server::Impl& s, const Req& req, Res& res) {
  JsonBody b;
  std::string name;
  if (!model_name_field(req, &b, &name, res)) return;
  s.models.unload(name);
  models::ModelStore store;
  std::vector<std::string> removed;
  Error err;
  if (!store.remove(name, &removed, &err, models::PathRule::syntax)) return send_error(res, err);
  res.status = 200;
}

void handle_pull(Server::Impl& s, const Req& req, Res& res) {
  JsonBody b;
  std::string name;
  bool stream = true, insecure = false;
  if (!model_name_field(req, &b, &name, res)) return;
  if (!b.boolean("stream", &stream) || !b.boolean("insecure", &insecure)) return send_error(res, b.error());
  // The intake checked the name and "insecure" (model_name_policy.h); every
  // connection goes through the page fetcher's SSRF policy.
  models::PullOptions po = s.opts.pull;
  if (insecure) po.insecure = true;
  if (s.services.http) po.ssrf = s.services.http->options().ssrf;
  auto work = s.begin_work();
  po.cancel = work->cancel_flag();
  if (!stream) {
    models::PullResult r = models::pull_model(name, po);
    s.end_work(work);
    if (!r.ok()) return send_error(res, r.error);
    return send_json(res, 200, json{{"status", "success"}});
  }
  // Progress lines as the pull goes: it runs on its own thread, which holds
  // the stream (and so the cancel flag the download polls) until it ends.
  po.status = [work](const std::string& st) { work->push(json{{"status", st}}.dump() + "\n"); };
  po.progress = [work, name](uint64_t done, uint64_t total, double) {
    work->push(json{{"status", "pulling " + name}, {"total", total}, {"completed", done}}.dump() + "\n");
  };
  std::thread([&s, name, po, work] {
    models::PullResult r = models::pull_model(name, po);
    work->push(r.ok() ? json{{"status", "success"}}.dump() + "\n" : json{{"error", r.error.message}}.dump() + "\n");
    work->finish();
    s.end_work(work);
  }).detach();
  stream_chunks(res, work, "application/x-ndjson");
}

}  // namespace

void register_model_routes(Server::Impl& s) {
  auto& h = s.http;
  h.Get("/api/tags", [&s](const Req&, Res& res) { handle_tags(s, res); });
  h.Post("/api/show", [&s](const Req& req, Res& res) { handle_show(s, req, res); });
  h.Get("/api/ps", [&s](const Req&, Res& res) { handle_ps(s, res); });
  h.Delete("/api/delete", [&s](const Req& req, Res& res) { handle_delete_model(s, req, res); });
  h.Post("/api/pull", [&s](const Req& req, Res& res) { handle_pull(s, req, res); });
}

}  // namespace owlet::server
