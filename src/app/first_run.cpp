#include "app/first_run.h"

#include <cstdio>

#include "common/strings.h"
#include "models/model_ref.h"
#include "models/model_store.h"
#include "web/url.h"

namespace owlet::app {
namespace {

// Where a pull of `name` goes, for the announcement.
std::string registry_of(const Config& cfg, const std::string& name) {
  if (!cfg.registry.empty()) return cfg.registry;
  models::ModelRef ref;
  Error why;
  if (models::parse_model_ref(name, &ref, &why) && ref.kind == models::ModelRef::Kind::ollama) return ref.ollama.host;
  return "the registry";
}

std::string how_to_get(const std::string& name) {
  return "get one with `owlet pull " + name + "` or --model FILE.gguf";
}

}  // namespace

models::PullOptions default_model_pull_options(const Config& cfg) {
  models::PullOptions o;
  o.registry = cfg.registry;
  o.insecure = istarts_with(cfg.registry, "http://");
  // The operator named this registry (a local mirror): it may be a private
  // address. Redirects and token realms elsewhere stay guarded.
  if (!cfg.registry.empty()) {
    web::UrlParse u = web::parse_url(cfg.registry);
    if (u.error.ok()) o.ssrf.allow_hosts.push_back(u.url.host);
  }
  return o;
}

FirstRun prepare_model(Config* cfg, const FirstRunOptions& options) {
  FirstRun out;
  if (!cfg->model.empty() || cfg->engine == "extractive") return out;
  const std::string name = cfg->default_model;
  std::string path, why;
  Error missing;
  if (!name.empty() && models::resolve_model(name, &path, &missing)) {
    cfg->model = name;
    out.source = ModelSource::store;
    return out;
  }
  out.source = ModelSource::none;
  if (name.empty()) {
    why = "neither model nor default_model is set";
  } else if (options.no_pull || !cfg->auto_pull) {
    why = "default_model " + name + " is not here and pulling is off";
  } else {
    fprintf(stderr, "owlet: no model configured; pulling the default model %s from %s (--no-pull turns this off)\n",
            name.c_str(), registry_of(*cfg, name).c_str());
    fflush(stderr);
    models::PullResult r = pull_with_progress(name, default_model_pull_options(*cfg), options.display);
    if (r.ok()) {
      cfg->model = name;
      out.source = ModelSource::pulled;
      return out;
    }
    why = "pulling " + name + " failed: " + r.error.message;
  }
  std::string fix = name.empty() ? "set default_model or pass --model FILE.gguf" : how_to_get(name);
  if (cfg->engine == "llm") {
    out.note = "no model to answer with (" + why + "); " + fix;
    return out;
  }
  // cfg->model stays empty: the pipeline answers extractively when it has no
  // model, while a request that names one (serve) still gets it.
  out.note = "no model loaded (" + why + "); answering with the sources' own sentences; " + fix;
  return out;
}

}  // namespace owlet::app
