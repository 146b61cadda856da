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

const int kBudgets[] = {64, 80, 96, 112, 128, 144, 160, 192, 224, 256, 320, 384, 512};

int run_language(const std::string& dir, const std::string& lang, int k, double target, int limit, int debug) {
  std::vector<nlohmann::json> rows;
  if (!eval::read_jsonl(dir + "/xquad/xquad." + lang + ".flat.jsonl", &rows)) return 1;
  const std::string kb_dir = temp_dir();
  std::string err;
  auto kb = kb::KnowledgeBase::open(kb_dir, kb::KbOptions{}, &err);
  if (!kb) {
    std::fprintf(stderr, "cannot open knowledge base: %s\n", err.c_str());
    return 1;
  }
  std::map<std::string, int> paragraphs;
  std::vector<Question> questions;
  for (const auto& r : rows) {
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
      if (!added.ok()) std::fprintf(stderr, "ingest failed: %s\n", added.error.c_str());
    }
    questions.push_back({r.value("question", ""), r.value("answers", std::vector<std::string>{})});
  }
  if (limit > 0 && static_cast<int>(questions.size()) > limit) questions.resize(static_cast<size_t>(limit));

  std::vector<Tally> naive(static_cast<size_t>(k));
  std::vector<Tally> built(std::size(kBudgets));
  Tally extract1, extract2, sentences_in_context;
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
    for (size_t b = 0; b < std::size(kBudgets); ++b) {
      ContextOptions o;
      o.token_budget = kBudgets[b];
      o.max_sources = k;
      const BuiltContext c = build_context(q.text, sources, o);
      built[b].tokens += c.tokens, built[b].hits += contains_any(c.text, q.answers), ++built[b].n;
      if (b == 3) sentences_in_context.tokens += c.sentences, ++sentences_in_context.n;
      if (b == 3 && debug > 0 && !contains_any(c.text, q.answers) && contains_any(naive[1].n ? build_naive_context(sources, 2).text : "", q.answers)) {
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

  std::printf("\n== %s: %zu paragraphs in the KB, %zu questions, sources = KB top-%d chunks ==\n", lang.c_str(),
              paragraphs.size(), questions.size(), k);
  std::printf("%-22s %12s %8s\n", "context", "tokens/q", "recall");
  const Tally* best_naive = nullptr;
  std::string best_naive_name, best_built_name;
  for (int i = 1; i <= k; ++i) {
    const Tally& t = naive[static_cast<size_t>(i - 1)];
    std::printf("naive top-%-12d %12.1f %7.1f%%\n", i, t.mean_tokens(), 100 * t.recall());
    if (!best_naive && t.recall() >= target) best_naive = &t, best_naive_name = "naive top-" + std::to_string(i);
  }
  const Tally* best_built = nullptr;
  for (size_t b = 0; b < std::size(kBudgets); ++b) {
    const Tally& t = built[b];
    std::printf("builder budget %-7d %12.1f %7.1f%%\n", kBudgets[b], t.mean_tokens(), 100 * t.recall());
    if (!best_built && t.recall() >= target) best_built = &t, best_built_name = "builder budget " + std::to_string(kBudgets[b]);
  }
  std::printf("builder budget %d: %.2f sentences/q on average\n", kBudgets[3], sentences_in_context.mean_tokens());
  // Matched recall: for each naive k, the cheapest builder budget at least as good.
  for (int i = 1; i <= k; ++i) {
    const Tally& t = naive[static_cast<size_t>(i - 1)];
    const Tally* match = nullptr;
    int match_budget = 0;
    for (size_t b = 0; b < std::size(kBudgets) && !match; ++b) {
      if (built[b].hits >= t.hits) match = &built[b], match_budget = kBudgets[b];
    }
    if (match) {
      std::printf("recall >= naive top-%d (%.1f%%): builder budget %d, %.1f vs %.1f tokens: %.2fx fewer\n", i,
                  100 * t.recall(), match_budget, match->mean_tokens(), t.mean_tokens(),
                  t.mean_tokens() / std::max(1.0, match->mean_tokens()));
    } else {
      std::printf("recall >= naive top-%d (%.1f%%): not reached by any builder budget\n", i, 100 * t.recall());
    }
  }
  if (best_naive && best_built) {
    std::printf("at >= %.0f%% recall: %s %.1f tokens (%.1f%%) vs %s %.1f tokens (%.1f%%): %.2fx fewer tokens\n",
                100 * target, best_built_name.c_str(), best_built->mean_tokens(), 100 * best_built->recall(),
                best_naive_name.c_str(), best_naive->mean_tokens(), 100 * best_naive->recall(),
                best_naive->mean_tokens() / std::max(1.0, best_built->mean_tokens()));
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
  const int debug = std::atoi(eval::flag(argc, argv, "--debug", "0").c_str());  // misses to print
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
    if (!lang.empty() && run_language(dir, lang, k, target, limit, debug) != 0) return 1;
    pos = end + 1;
  }
  return 0;
}
