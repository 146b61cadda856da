#include "app/models_command.h"

#include "common/strings.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>

#include "app/ask_command.h"  // exit codes
#include "app/exit_codes.h"
#include "app/pull_progress.h"
#include "models/model_ref.h"
#include "models/model_store.h"
#include "models/pull.h"

namespace owlet::app {
namespace {

void fail(const std::string& msg) { fprintf(stderr, "owlet: %s\n", msg.c_str()); }

std::string human_count(uint64_t n) {
  char buf[32];
  if (n >= 1000000000ULL) snprintf(buf, sizeof buf, "%.2fB", n / 1e9);
  else if (n >= 1000000ULL) snprintf(buf, sizeof buf, "%.2fM", n / 1e6);
  else if (n >= 1000ULL) snprintf(buf, sizeof buf, "%.1fK", n / 1e3);
  else snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(n));
  return buf;
}

std::string time_text(int64_t t) {
  return t <= 0 ? "-" : format_time(t, "%Y-%m-%d %H:%M", /*utc=*/false);
}

// ---- pull -------------------------------------------------------------------------------

struct PullArgs {
  std::string name;
  std::string registry;
  std::string hf_endpoint;
  bool insecure = false;
  bool quiet = false;
};

int run_pull(const PullArgs& a) {
  models::ModelRef ref;
  Error err;
  if (!models::parse_model_ref(a.name, &ref, &err)) {
    fail(err.message);
    return kExitUsage;
  }
  if (ref.kind == models::ModelRef::Kind::path) {
    fail("'" + a.name + "' looks like a file path; pull takes an Ollama name (qwen2.5:0.5b) or hf://owner/repo/file.gguf");
    return kExitUsage;
  }
  models::PullOptions o;
  o.registry = a.registry;
  o.hf_endpoint = a.hf_endpoint;
  o.insecure = a.insecure;
  // The user named this registry host: the pull may reach it even when it is a
  // private address (a local mirror). Redirects and token realms stay guarded.
  if (ref.kind == models::ModelRef::Kind::ollama && !ref.ollama.default_host())
    o.ssrf.allow_hosts.push_back(ascii_lower(ref.ollama.host.substr(0, ref.ollama.host.rfind(':'))));
  models::PullResult r = pull_with_progress(a.name, o, {a.quiet, isatty(STDERR_FILENO) != 0});
  if (!r.ok()) {
    fail(r.error.message);
    return exit_code(r.error.kind);
  }
  printf("pulled %s (%s, %s) → %s\n", r.name.c_str(), human_bytes(static_cast<double>(r.total_bytes)).c_str(),
         r.digest.substr(0, 19).c_str(), r.path.c_str());
  return kExitOk;
}

// ---- models -----------------------------------------------------------------------------

int run_list() {
  models::ModelStore store;
  std::vector<std::string> warnings;
  auto entries = store.list(&warnings);
  for (const auto& w : warnings) fprintf(stderr, "owlet: warning: %s\n", w.c_str());
  if (entries.empty()) {
    fprintf(stderr, "no models in owlet's store (%s) or Ollama's (%s); add one with: owlet pull NAME\n",
            store.paths().owlet.c_str(), store.paths().ollama.c_str());
    return kExitOk;
  }
  size_t w = 4;
  for (const auto& e : entries) w = std::max(w, e.name.size());
  printf("%-*s  %-12s  %9s  %-16s  %s\n", static_cast<int>(w), "NAME", "ID", "SIZE", "MODIFIED", "STORE");
  for (const auto& e : entries) {
    std::string id = e.digest.size() > 19 ? e.digest.substr(7, 12) : e.digest;
    printf("%-*s  %-12s  %9s  %-16s  %s\n", static_cast<int>(w), e.name.c_str(), id.c_str(),
           human_bytes(static_cast<double>(e.size)).c_str(), time_text(e.modified).c_str(), e.store.c_str());
  }
  return kExitOk;
}

int run_show(const std::string& name) {
  models::ModelStore store;
  models::ModelDetails d;
  Error err;
  if (!store.show(name, &d, &err)) {
    fail(err.message);
    return exit_code(err.kind);
  }
  auto row = [](const char* k, const std::string& v) { printf("%-14s %s\n", k, v.c_str()); };
  row("name", d.entry.name.empty() ? name : d.entry.name);
  row("store", d.entry.store.empty() ? "file" : d.entry.store + " (" + d.entry.store_dir + ")");
  row("path", d.path);
  row("size", human_bytes(static_cast<double>(d.file_size)));
  if (!d.entry.digest.empty()) row("digest", d.entry.digest);
  row("architecture", d.gguf.architecture.empty() ? "?" : d.gguf.architecture);
  if (!d.gguf.name.empty()) row("model name", d.gguf.name);
  row("parameters", human_count(d.gguf.n_params));
  row("quantization", d.gguf.quantization.empty() ? "?" : d.gguf.quantization);
  row("context", d.gguf.context_length ? std::to_string(d.gguf.context_length) : "?");
  row("chat template", d.gguf.has_chat_template ? "yes" : "no");
  return kExitOk;
}

int run_rm(const std::string& name) {
  models::ModelStore store;
  std::vector<std::string> removed;
  Error err;
  if (!store.remove(name, &removed, &err)) {
    fail(err.message);
    return exit_code(err.kind);
  }
  size_t blobs = 0;
  for (const auto& f : removed)
    if (f.find("/blobs/") != std::string::npos) ++blobs;
  printf("deleted %s (%zu unreferenced blob%s removed)\n", name.c_str(), blobs, blobs == 1 ? "" : "s");
  return kExitOk;
}

}  // namespace

void register_models(CLI::App& app, int* exit_code) {
  auto pa = std::make_shared<PullArgs>();
  CLI::App* pull = app.add_subcommand(
      "pull", "Download a model into owlet's store: an Ollama name (qwen2.5:0.5b) or hf://owner/repo/file.gguf[@rev]");
  pull->add_option("name", pa->name, "model to pull: qwen2.5:0.5b, library/x:tag, host/ns/model:tag, hf://owner/repo/file.gguf")
      ->required();
  pull->add_option("--registry", pa->registry, "Ollama registry base URL (default https://registry.ollama.ai)");
  pull->add_option("--hf-endpoint", pa->hf_endpoint, "Hugging Face endpoint (default $HF_ENDPOINT or https://huggingface.co)");
  pull->add_flag("--insecure", pa->insecure, "allow plain http:// and skip TLS certificate checks");
  pull->add_flag("-q,--quiet", pa->quiet, "no progress output");
  pull->callback([pa, exit_code] { *exit_code = run_pull(*pa); });

  CLI::App* models = app.add_subcommand("models", "List, show and remove models (owlet's store and Ollama's)");
  models->require_subcommand(0, 1);
  CLI::App* list = models->add_subcommand("list", "List models in owlet's store and in Ollama's store (the default)");
  auto show_name = std::make_shared<std::string>();
  CLI::App* show = models->add_subcommand("show", "Show a model's file, digest and GGUF metadata");
  show->add_option("name", *show_name, "model name, hf:// reference or GGUF path")->required();
  auto rm_name = std::make_shared<std::string>();
  CLI::App* rm = models->add_subcommand("rm", "Remove a model from owlet's store (never from Ollama's)");
  rm->add_option("name", *rm_name, "model name or hf:// reference")->required();
  list->callback([exit_code] { *exit_code = run_list(); });
  show->callback([show_name, exit_code] { *exit_code = run_show(*show_name); });
  rm->callback([rm_name, exit_code] { *exit_code = run_rm(*rm_name); });
  models->callback([models, exit_code] {
    if (models->get_subcommands().empty()) *exit_code = run_list();
  });
}

}  // namespace owlet::app
