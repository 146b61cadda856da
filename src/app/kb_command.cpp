#include "app/kb_command.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/ask_command.h"
#include "app/cli_config.h"
#include "config/config.h"
#include "kb/ingest.h"
#include "kb/knowledge_base.h"
#include "app/stack.h"
#include "llm/embedder.h"
#include "llm/model.h"
#include "models/model_store.h"
#include "web/html_extractor.h"

extern char** environ;

namespace owlet::app {
namespace {

void fail(const std::string& msg) { fprintf(stderr, "owlet: %s\n", msg.c_str()); }

struct KbArgs {
  FlagValues flags;
  std::vector<std::string> paths;
  std::vector<std::string> include, exclude;
  std::string query, source;
  int k = 10;
  bool json = false;
};

// The pieces every kb command needs: config, and the knowledge base opened with
// the configured embedding model (the warm tier is off without one).
struct OpenKb {
  Config cfg;
  KnowledgeParts parts;
  kb::KnowledgeBase* kb = nullptr;
  std::unique_ptr<cluster::Cluster> cluster;  // with cluster_redis: the shared answer tier (attach_shared)
};

// With cluster_redis, the shared answer tier behind the local one, so that a
// removal or a clear reaches it at once (no replication: a one-shot command).
int attach_shared(OpenKb* o) {
  Error err;
  o->cluster = cluster::attach(o->cfg, {o->kb, nullptr, nullptr, nullptr}, {false, ""}, &err);
  if (!err.ok()) {
    fail(err.message);
    return exit_code(err.kind);
  }
  return kExitOk;
}

int open_kb(const KbArgs& args, OpenKb* o) {
  std::string err;
  if (!config_resolve(o->cfg, args.flags.config_path, environ, args.flags.values, &err)) {
    fail(err);
    return kExitUsage;
  }
  Error kb_err;
  if (!open_knowledge(o->cfg, &o->parts, &kb_err)) {
    fail(kb_err.message);
    return exit_code(kb_err.kind);
  }
  o->kb = o->parts.kb.get();
  return kExitOk;
}

int run_ingest(const KbArgs& args) {
  OpenKb o;
  if (int rc = open_kb(args, &o)) return rc;
  if (int rc = attach_shared(&o)) return rc;  // a replaced file's shared answers go at once
  kb::IngestOptions io;
  io.include = args.include;
  io.exclude = args.exclude;
  // Main text, not menus: the web module's extractor (gumbo, boilerplate removal).
  io.html_to_text = [](std::string_view html, std::string* title) {
    web::ExtractedPage p = web::extract_html(html);
    *title = p.title;
    return p.text;
  };
  const bool tty = isatty(STDERR_FILENO);
  auto last_draw = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  io.progress = [&](const kb::IngestProgress& p) {
    if (p.last && !tty) {
      // One line per committed file: logs (and the crash test) know exactly what is stored.
      printf("%s %s (%d chunks)\n", kb::to_string(p.last->outcome), p.last->path.c_str(), p.last->chunks);
      fflush(stdout);
    }
    if (p.last && (p.last->outcome == kb::FileOutcome::kSkipped || p.last->outcome == kb::FileOutcome::kFailed))
      fprintf(stderr, "%sowlet: skipped %s: %s\n", tty ? "\r\033[K" : "", p.last->path.c_str(),
              p.last->message.c_str());
    auto now = std::chrono::steady_clock::now();
    if (tty && (now - last_draw > std::chrono::milliseconds(100) || p.files_done == p.files_total)) {
      last_draw = now;
      int width = 30, filled = p.files_total ? static_cast<int>(width * p.files_done / p.files_total) : 0;
      fprintf(stderr, "\r[%s%s] %zu/%zu files, %zu chunks, %.0f chunks/s", std::string(filled, '#').c_str(),
              std::string(width - filled, '.').c_str(), p.files_done, p.files_total, p.chunks,
              p.elapsed_s > 0 ? p.chunks / p.elapsed_s : 0.0);
      fflush(stderr);
    }
    return true;
  };
  kb::IngestSummary s = kb::ingest_paths(*o.kb, args.paths, io);
  if (tty) fputc('\n', stderr);
  fprintf(stderr,
          "ingested %zu files in %.1f s: %zu added, %zu replaced, %zu unchanged, %zu duplicates, %zu skipped, "
          "%zu failed; %zu chunks (%.0f chunks/s); dropped %lld cached answers\n",
          s.files_seen, s.seconds, s.added, s.replaced, s.unchanged, s.duplicates, s.skipped, s.failed, s.chunks,
          s.seconds > 0 ? s.chunks / s.seconds : 0.0, static_cast<long long>(s.dropped_answers));
  Error err;
  o.kb->flush(&err);
  return s.failed > 0 ? kExitError : kExitOk;
}

int run_stats(const KbArgs& args) {
  OpenKb o;
  if (int rc = open_kb(args, &o)) return rc;
  kb::KbStats s = o.kb->stats();
  nlohmann::json j{{"path", config_knowledge_path(o.cfg)},
                   {"schema_version", s.schema_version},
                   {"documents", s.documents},
                   {"chunks", s.chunks},
                   {"vectors", s.vectors},
                   {"warm_enabled", s.warm_enabled},
                   {"cached_answers", s.cached_answers},
                   {"cached_answer_bytes", s.answer_cache.bytes},
                   {"cache_lookups", s.answer_cache.lookups},
                   {"cache_hits_exact", s.answer_cache.hits_exact},
                   {"cache_hits_paraphrase", s.answer_cache.hits_paraphrase},
                   {"text_bytes", s.text_bytes},
                   {"db_bytes", s.db_bytes},
                   {"cold_bytes", s.cold_bytes},
                   {"warm_bytes", s.warm_bytes}};
  if (args.json) {
    printf("%s\n", j.dump(2).c_str());
  } else {
    for (auto& [k, v] : j.items()) printf("%-16s %s\n", k.c_str(), v.is_string() ? v.get<std::string>().c_str() : v.dump().c_str());
  }
  return kExitOk;
}

int run_search(const KbArgs& args) {
  OpenKb o;
  if (int rc = open_kb(args, &o)) return rc;
  kb::SearchResult r = o.kb->search(args.query, args.k);
  if (!r.ok()) {
    fail("search failed: " + r.error.message);
    return kExitError;
  }
  if (args.json) {
    nlohmann::json hits = nlohmann::json::array();
    for (const auto& h : r.hits)
      hits.push_back({{"rank", h.fused_rank}, {"score", h.fused_score}, {"source", h.source}, {"title", h.title},
                      {"text", h.text}, {"hot_rank", h.hot_rank}, {"warm_rank", h.warm_rank}});
    printf("%s\n", nlohmann::json{{"hits", hits}, {"ms", r.total_ms}}.dump(2).c_str());
    return kExitOk;
  }
  for (const auto& h : r.hits) {
    std::string snippet = h.text.substr(0, 200);
    printf("%2d. %s  [%s]\n    %s\n", h.fused_rank, h.title.empty() ? h.source.c_str() : h.title.c_str(),
           h.source.c_str(), snippet.c_str());
  }
  fprintf(stderr, "%zu hits in %.1f ms%s\n", r.hits.size(), r.total_ms, r.warm_used ? " (keyword + vector)" : " (keyword)");
  return kExitOk;
}

int run_rm(const KbArgs& args) {
  OpenKb o;
  if (int rc = open_kb(args, &o)) return rc;
  if (int rc = attach_shared(&o)) return rc;
  bool found = false;
  int64_t dropped = 0;
  Error err;
  if (!o.kb->remove(args.source, &found, &err, &dropped)) {
    fail(err.message);
    return kExitError;
  }
  if (!found) {
    fail("no document with source '" + args.source + "'");
    return kExitUsage;
  }
  // "Delete" means deleted: the answers quoting it went with it.
  printf("removed %s; dropped %lld cached answer%s\n", args.source.c_str(), static_cast<long long>(dropped),
         dropped == 1 ? "" : "s");
  return kExitOk;
}

int run_cache_clear(const KbArgs& args) {
  OpenKb o;
  if (int rc = open_kb(args, &o)) return rc;
  if (int rc = attach_shared(&o)) return rc;
  Error err;
  const int64_t n = o.kb->cache_clear(&err);
  if (n < 0) {
    fail(err.message);
    return kExitError;
  }
  printf("cleared %lld cached answer%s%s\n", static_cast<long long>(n), n == 1 ? "" : "s",
         o.cluster ? " (and the cluster's shared answer cache)" : "");
  return kExitOk;
}

int run_cache_stats(const KbArgs& args) {
  OpenKb o;
  if (int rc = open_kb(args, &o)) return rc;
  const kb::AnswerCacheStats c = o.kb->cache_stats();
  nlohmann::json j{{"entries", c.entries},
                   {"bytes", c.bytes},
                   {"lookups", c.lookups},
                   {"hits_exact", c.hits_exact},
                   {"hits_paraphrase", c.hits_paraphrase}};
  if (args.json) printf("%s\n", j.dump(2).c_str());
  else
    for (auto& [k, v] : j.items()) printf("%-16s %s\n", k.c_str(), v.dump().c_str());
  return kExitOk;
}

int run_vacuum(const KbArgs& args) {
  OpenKb o;
  if (int rc = open_kb(args, &o)) return rc;
  Error err;
  if (!o.kb->vacuum(&err)) {
    fail(err.message);
    return kExitError;
  }
  printf("vacuumed %s\n", config_knowledge_path(o.cfg).c_str());
  return kExitOk;
}

// cluster_redis: changes made here are journaled, and the replica serving this
// knowledge base publishes them to the cluster (docs/CLUSTER.md).
const std::vector<std::string> kKbKeys = {"knowledge_path", "embedding_model", "threads", "log_level", "cluster_redis"};

}  // namespace

void register_kb(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<KbArgs>();
  CLI::App* ingest = app.add_subcommand("ingest", "Add files and directories to the local knowledge base");
  ingest->add_option("paths", args->paths, "files or directories (recursive)")->required();
  ingest->add_option("--include", args->include, "only files matching this glob (repeatable; default text, md, html)");
  ingest->add_option("--exclude", args->exclude, "skip files matching this glob (repeatable)");
  add_config_flags(ingest, kKbKeys, &args->flags);
  ingest->callback([args, exit_code] { *exit_code = run_ingest(*args); });

  CLI::App* kbc = app.add_subcommand("kb", "Inspect and maintain the knowledge base");
  kbc->require_subcommand(1);
  CLI::App* stats = kbc->add_subcommand("stats", "Documents, chunks, vectors and sizes");
  stats->add_flag("--json", args->json, "print JSON");
  add_config_flags(stats, kKbKeys, &args->flags);
  stats->callback([args, exit_code] { *exit_code = run_stats(*args); });
  CLI::App* search = kbc->add_subcommand("search", "Hybrid search (keyword + vector when an embedding model is set)");
  search->add_option("query", args->query, "what to look for")->required();
  search->add_option("-k", args->k, "number of results [default 10]")->check(CLI::Range(1, 1000));
  search->add_flag("--json", args->json, "print JSON");
  add_config_flags(search, kKbKeys, &args->flags);
  search->callback([args, exit_code] { *exit_code = run_search(*args); });
  CLI::App* rm = kbc->add_subcommand("rm", "Remove a document by its source path or URL");
  rm->add_option("source", args->source, "source of the document")->required();
  add_config_flags(rm, kKbKeys, &args->flags);
  rm->callback([args, exit_code] { *exit_code = run_rm(*args); });
  CLI::App* vacuum = kbc->add_subcommand("vacuum", "Reclaim space after removals");
  add_config_flags(vacuum, kKbKeys, &args->flags);
  vacuum->callback([args, exit_code] { *exit_code = run_vacuum(*args); });

  CLI::App* cache = app.add_subcommand("cache", "The answer cache: figures, or clear it");
  cache->require_subcommand(1);
  CLI::App* clear = cache->add_subcommand("clear", "Drop every cached answer (and the cluster's shared ones)");
  add_config_flags(clear, kKbKeys, &args->flags);
  clear->callback([args, exit_code] { *exit_code = run_cache_clear(*args); });
  CLI::App* cstats = cache->add_subcommand("stats", "Cached answers, their size, lookups and hits by kind");
  cstats->add_flag("--json", args->json, "print JSON");
  add_config_flags(cstats, kKbKeys, &args->flags);
  cstats->callback([args, exit_code] { *exit_code = run_cache_stats(*args); });
}

}  // namespace owlet::app
