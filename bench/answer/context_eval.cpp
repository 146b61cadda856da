// owlet-eval-context — the context builder and extractive answers on XQuAD.
//
// Setup, per language (en, zh): the 240 XQuAD paragraphs are ingested as documents
// into a fresh knowledge base in a temp dir (default chunker, keyword tier only).
// Each of the 1,190 questions is searched there (top 5 chunks), and the hits become
// the ranked sources. Then:
//   naive k   = build_naive_context(sources, k): the top-k whole chunks;
//   builder B = build_context(question, sources, {token_budget = B, max_sources = 5}):
//               picked sentences under a budget of B estimated tokens.
// Both blocks carry the same delimiters and source headers. Recall = share of
// questions whose gold answer string appears in the block; tokens = the block's
// estimate_tokens, averaged. The headline compares the cheapest naive k and the
// cheapest builder budget that each reach the target recall (default 95 %).
// Extractive: extract_answer over the same numbered sources; hit = the first
// returned sentence contains the gold answer (also reported for two sentences).
//
// usage: owlet-eval-context [--data DIR] [--lang en,zh] [--k 5] [--target 0.95] [--limit N]
//          [--split even|odd|all] [--budgets 64,96,...] [--conf 1,0.9,...] [--debug N]
//          tuning knobs (defaults = the library's): --sharpness --rank-penalty --w-context
//          --w-phrase --w-type --w-weak-type --max-per-source --neighbors
// Tune on --split even, report --split odd as held out.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "answer/context_builder.h"
#include "answer/extractive.h"
#include "eval_data.h"
#include "kb/knowledge_base.h"

namespace fs = std::filesystem;
using namespace owlet;
using namespace owlet::answer;

namespace {

struct Question {
  std::string text;
  std::vector<std::string> answers;
};

struct Tally {
  double tokens = 0;
  int hits = 0;
  int n = 0;
  double recall() const { return n ? static_cast<double>(hits) / n : 0; }
  double mean_tokens() const { return n ? tokens / n : 0; }
};

bool contains_any(const std::string& text, const std::vector<std::string>& answers) {
  for (const auto& a : answers) {
    if (!a.empty() && text.find(a) != std::string::npos) return true;
  }
  return false;
}

std::string temp_dir() {
  std::string tmpl = (fs::temp_directory_path() / "owlet-eval-context-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) return "";
  return tmpl;
}

// The tunable knobs, from flags; the defaults are the library's.
struct Setup {
  std::vector<int> budgets;
  std::vector<double> confidences;  // one table row per budget and confidence
  ContextOptions base;
  std::string split = "all";        // even | odd | all: question index parity (tune on even)
};

std::vector<double> parse_list(const std::string& s) {
  std::vector<double> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t end = s.find(',', pos);
    if (end == std::string::npos) end = s.size();
    if (end > pos) out.push_back(std::atof(s.substr(pos, end - pos).c_str()));
    pos = end + 1;
  }
  return out;
}

struct Row {
  std::string name;
  ContextOptions options;
  Tally tally;
  Tally sentences;
};

std::string conf_name(double c) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", c);
  return buf;
}

std::vector<Row> make_rows(const Setup& setup, int k) {
  std::vector<Row> rows;
  for (double conf : setup.confidences) {
    for (int b : setup.budgets) {
      Row r;
      r.name = "builder " + std::to_string(b) + (conf < 1 ? " c" + conf_name(conf) : "");
      r.options = setup.base;
      r.options.token_budget = b;
      r.options.max_sources = k;
      r.options.confidence = conf;
      rows.push_back(std::move(r));
    }
  }
  return rows;
}

bool in_split(const std::string& split, size_t index) {
  if (split == "even") return index % 2 == 0;
  if (split == "odd") return index % 2 == 1;
  return true;
}

int run_language(const std::string& dir, const std::string& lang, int k, double target, int limit, int debug,
                 const Setup& setup) {
  std::vector<nlohmann::json> rows;
  if (!eval::read_jsonl(dir + "/xquad/xquad." + lang + ".flat.jsonl", &rows)) return 1;
  const std::string kb_dir = temp_dir();
  owlet::Error err;
  auto kb = kb::KnowledgeBase::open(kb_dir, kb::KbOptions{}, &err);
  if (!kb) {
    std::fprintf(stderr, "cannot open knowledge base: %s\n", err.message.c_str());
    return 1;
  }
  std::map<std::string, int> paragraphs;
  std::vector<Question> questions;
  for (size_t index = 0; index < rows.size(); ++index) {
    const auto& r = rows[index];
    const std::string context = r.value("context", "");
    if (!paragraphs.count(context)) {
      const int id = static_cast<int>(paragraphs.size());
      paragraphs[context] = id;
      kb::Document doc;
      doc.source = "xquad://" + lang + "/" + std::to_string(id);
      doc.title = r.value("title", "");
      for (char& c : doc.title) c = c == '_' ? ' ' : c;
      doc.text = context;
      doc.language = lang;
      const kb::AddResult added = kb->add(doc);
      if (!added.ok()) std::fprintf(stderr, "ingest failed: %s\n", added.error.message.c_str());
    }
    if (in_split(setup.split, index)) {
      questions.push_back({r.value("question", ""), r.value("answers", std::vector<std::string>{})});
    }
  }
  if (limit > 0 && static_cast<int>(questions.size()) > limit) questions.resize(static_cast<size_t>(limit));

  std::vector<Tally> naive(static_cast<size_t>(k));
  std::vector<Row> built = make_rows(setup, k);
  Tally extract1, extract2;
  for (const Question& q : questions) {
    const kb::SearchResult res = kb->search(q.text, k);
    std::vector<Source> sources;
    for (const kb::SearchHit& h : res.hits) {
      Source s;
      s.n = static_cast<int>(sources.size()) + 1;
      s.title = h.title;
      s.url = h.source;
      s.text = h.text;
      s.origin = "kb";
      s.score = h.fused_score;
      sources.push_back(std::move(s));
    }
    for (int i = 1; i <= k; ++i) {
      const BuiltContext c = build_naive_context(sources, i);
      Tally& t = naive[static_cast<size_t>(i - 1)];
      t.tokens += c.tokens, t.hits += contains_any(c.text, q.answers), ++t.n;
    }
    const bool naive2_hit = contains_any(build_naive_context(sources, 2).text, q.answers);
    for (size_t b = 0; b < built.size(); ++b) {
      const BuiltContext c = build_context(q.text, sources, built[b].options);
      const bool hit = contains_any(c.text, q.answers);
      Tally& t = built[b].tally;
      t.tokens += c.tokens, t.hits += hit, ++t.n;
      built[b].sentences.tokens += c.sentences, ++built[b].sentences.n;
      if (b == 0 && debug > 0 && !hit && naive2_hit) {
        --debug;
        std::printf("MISS q=%s | gold=%s\n%s\n", q.text.c_str(), q.answers.empty() ? "" : q.answers[0].c_str(), c.text.c_str());
      }
    }
    ExtractiveOptions one;
    one.max_sentences = 1;
    const ExtractiveAnswer a1 = extract_answer(q.text, sources, one);
    extract1.hits += !a1.sentences.empty() && contains_any(a1.sentences[0], q.answers), ++extract1.n;
    const ExtractiveAnswer a2 = extract_answer(q.text, sources);
    std::string both;
    for (const auto& s : a2.sentences) both += s + "\n";
    extract2.hits += contains_any(both, q.answers), ++extract2.n;
    extract2.tokens += static_cast<double>(a2.sentences.size());
  }
  kb.reset();
  std::error_code ec;
  fs::remove_all(kb_dir, ec);

  std::printf("\n== %s (%s questions): %zu paragraphs in the KB, %zu questions, sources = KB top-%d chunks ==\n",
              lang.c_str(), setup.split.c_str(), paragraphs.size(), questions.size(), k);
  std::printf("%-22s %12s %8s %12s\n", "context", "tokens/q", "recall", "sentences/q");
  const Tally* best_naive = nullptr;
  std::string best_naive_name;
  for (int i = 1; i <= k; ++i) {
    const Tally& t = naive[static_cast<size_t>(i - 1)];
    std::printf("naive top-%-12d %12.1f %7.1f%%\n", i, t.mean_tokens(), 100 * t.recall());
    if (!best_naive && t.recall() >= target) best_naive = &t, best_naive_name = "naive top-" + std::to_string(i);
  }
  const Row* best_built = nullptr;
  for (const Row& r : built) {
    const Tally& t = r.tally;
    std::printf("%-22s %12.1f %7.1f%% %12.2f\n", r.name.c_str(), t.mean_tokens(), 100 * t.recall(), r.sentences.mean_tokens());
    const bool cheaper = !best_built || t.mean_tokens() < best_built->tally.mean_tokens();
    if (t.recall() >= target && cheaper) best_built = &r;
  }
  // Matched recall: for each naive k, the cheapest builder row at least as good.
  for (int i = 1; i <= k; ++i) {
    const Tally& t = naive[static_cast<size_t>(i - 1)];
    const Row* match = nullptr;
    for (const Row& r : built) {
      if (r.tally.hits >= t.hits && (!match || r.tally.mean_tokens() < match->tally.mean_tokens())) match = &r;
    }
    if (match) {
      std::printf("recall >= naive top-%d (%.1f%%): %s, %.1f vs %.1f tokens: %.2fx fewer\n", i, 100 * t.recall(),
                  match->name.c_str(), match->tally.mean_tokens(), t.mean_tokens(),
                  t.mean_tokens() / std::max(1.0, match->tally.mean_tokens()));
    } else {
      std::printf("recall >= naive top-%d (%.1f%%): not reached by any builder row\n", i, 100 * t.recall());
    }
  }
  if (best_naive && best_built) {
    std::printf("at >= %.0f%% recall: %s %.1f tokens (%.1f%%) vs %s %.1f tokens (%.1f%%): %.2fx fewer tokens\n",
                100 * target, best_built->name.c_str(), best_built->tally.mean_tokens(), 100 * best_built->tally.recall(),
                best_naive_name.c_str(), best_naive->mean_tokens(), 100 * best_naive->recall(),
                best_naive->mean_tokens() / std::max(1.0, best_built->tally.mean_tokens()));
  } else {
    std::printf("target recall %.0f%% not reached by %s\n", 100 * target, best_naive ? "the builder" : "naive top-k");
  }
  std::printf("extractive: first sentence holds the answer %.1f%%; either of up to 2 sentences %.1f%% (%.2f sentences/q)\n",
              100 * extract1.recall(), 100 * extract2.recall(), extract2.mean_tokens());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = eval::flag(argc, argv, "--data", OWLET_EVAL_DIR);
  const std::string langs = eval::flag(argc, argv, "--lang", "en,zh");
  const int k = std::atoi(eval::flag(argc, argv, "--k", "5").c_str());
  const double target = std::atof(eval::flag(argc, argv, "--target", "0.95").c_str());
  const int limit = std::atoi(eval::flag(argc, argv, "--limit", "0").c_str());
  const int debug = std::atoi(eval::flag(argc, argv, "--debug", "0").c_str());  // misses of the first row to print
  Setup setup;
  for (double b : parse_list(eval::flag(argc, argv, "--budgets", "64,96,128,160,256,512"))) setup.budgets.push_back(static_cast<int>(b));
  setup.confidences = parse_list(eval::flag(argc, argv, "--conf", "1"));
  setup.split = eval::flag(argc, argv, "--split", "all");
  ContextOptions& o = setup.base;
  auto knob = [&](const char* name, double* value) { *value = std::atof(eval::flag(argc, argv, name, std::to_string(*value)).c_str()); };
  knob("--sharpness", &o.sharpness);
  knob("--rank-penalty", &o.source_rank_penalty);
  knob("--w-context", &o.scoring.context_weight);
  knob("--w-phrase", &o.scoring.phrase_weight);
  knob("--w-type", &o.scoring.type_bonus);
  knob("--w-weak-type", &o.scoring.weak_type_bonus);
  o.max_sentences_per_source = std::atoi(eval::flag(argc, argv, "--max-per-source", std::to_string(o.max_sentences_per_source)).c_str());
  o.clause_tokens = std::atoi(eval::flag(argc, argv, "--clause-tokens", "0").c_str());
  o.neighbor_sentences = std::atoi(eval::flag(argc, argv, "--neighbors", "0").c_str());
  if (k < 1) {
    std::fprintf(stderr, "--k must be >= 1\n");
    return 2;
  }
  std::printf("XQuAD context eval: per language, 240 paragraphs ingested into a fresh KB (keyword tier);\n"
              "each question's sources = its top-%d KB chunks. recall = gold answer string inside the block;\n"
              "tokens = estimate_tokens of the whole block (delimiters and headers included).\n", k);
  size_t pos = 0;
  while (pos <= langs.size()) {
    size_t end = langs.find(',', pos);
    if (end == std::string::npos) end = langs.size();
    const std::string lang = langs.substr(pos, end - pos);
    if (!lang.empty() && run_language(dir, lang, k, target, limit, debug, setup) != 0) return 1;
    pos = end + 1;
  }
  return 0;
}
