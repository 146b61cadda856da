// kb_xquad_bench — retrieval quality of owlet's knowledge base on XQuAD.
//
// For each language: ingest the 240 unique paragraphs as documents into a fresh
// knowledge base, then ask every question (1,190) and report recall@1 and recall@5
// of the paragraph the question was written about (documents ranked by their best
// chunk), plus search latency p50/p99. Hot tier (BM25) always; with
// --hash-embed also a warm tier fed by a feature-hashing embedder (a baseline, not a
// model: it shows what fusion costs or gains with a weak vector signal).
//
// usage: kb_xquad_bench [--eval-dir DIR] [--lang en,zh] [--hash-embed DIM] [--warm-weight W] [--k 5]
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "kb/knowledge_base.h"
#include "kb/text.h"

namespace fs = std::filesystem;
using namespace owlet;
using namespace owlet::kb;

namespace {

struct Question {
  std::string text;
  int paragraph = 0;
};

std::vector<float> hash_embed(const std::string& text, int dim) {
  std::vector<float> v(static_cast<size_t>(dim), 0.0f);
  std::string w;
  auto flush = [&] {
    if (w.empty()) return;
    const uint64_t h = XXH3_64bits(w.data(), w.size());
    v[h % static_cast<uint64_t>(dim)] += (h >> 63) ? 1.0f : -1.0f;
    w.clear();
  };
  size_t i = 0;
  std::string prev_cjk;
  while (i < text.size()) {
    const size_t s = i;
    const char32_t cp = utf8_next(text, i);
    if (is_cjk(cp)) {
      flush();
      // CJK: character bigrams, like the FTS index.
      const std::string c = text.substr(s, i - s);
      if (!prev_cjk.empty()) {
        w = prev_cjk + c;
        flush();
      }
      prev_cjk = c;
    } else {
      prev_cjk.clear();
      if (is_word_char(cp)) {
        for (size_t k = s; k < i; ++k) w += static_cast<char>(std::tolower(static_cast<unsigned char>(text[k])));
      } else {
        flush();
      }
    }
  }
  flush();
  return v;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t idx = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5));
  return v[idx];
}

int run_language(const fs::path& eval_dir, const std::string& lang, int embed_dim, double warm_weight, int k) {
  const fs::path file = eval_dir / "xquad" / ("xquad." + lang + ".flat.jsonl");
  std::ifstream in(file);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", file.c_str());
    return 1;
  }
  std::map<std::string, int> para_index;
  std::vector<std::string> paragraphs, titles;
  std::vector<Question> questions;
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) continue;
    const std::string ctx = j.value("context", "");
    auto [it, inserted] = para_index.emplace(ctx, static_cast<int>(paragraphs.size()));
    if (inserted) {
      paragraphs.push_back(ctx);
      titles.push_back(j.value("title", ""));
    }
    questions.push_back({j.value("question", ""), it->second});
  }

  const fs::path dir = fs::temp_directory_path() / ("owlet-kb-xquad-" + lang + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  KbOptions opts;
  opts.near_dup_max_distance = -1;  // keep all 240 paragraphs even if two are close
  opts.warm_weight = warm_weight;
  if (embed_dim > 0) {
    opts.embedder.id = "hash-" + std::to_string(embed_dim);
    opts.embedder.dim = embed_dim;
    opts.embedder.embed = [embed_dim](const std::vector<std::string>& texts) {
      std::vector<std::vector<float>> out;
      for (const auto& t : texts) out.push_back(hash_embed(t, embed_dim));
      return out;
    };
  }
  owlet::Error err;
  auto kb = KnowledgeBase::open(dir.string(), opts, &err);
  if (!kb) {
    std::fprintf(stderr, "open: %s\n", err.message.c_str());
    return 1;
  }
  const auto t0 = std::chrono::steady_clock::now();
  std::map<int64_t, int> doc_to_para;
  for (size_t i = 0; i < paragraphs.size(); ++i) {
    Document d;
    d.source = "xquad:" + lang + ":" + std::to_string(i);
    d.title = titles[i];
    d.text = paragraphs[i];
    d.language = lang;
    const AddResult r = kb->add(d);
    if (!r.ok()) {
      std::fprintf(stderr, "add %zu: %s\n", i, r.error.message.c_str());
      return 1;
    }
    doc_to_para[r.document_id] = static_cast<int>(i);
  }
  const double ingest_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  int at1 = 0, atk = 0;
  std::vector<double> lat;
  for (const Question& q : questions) {
    const auto s0 = std::chrono::steady_clock::now();
    const SearchResult r = kb->search(q.text, k * 4);  // chunks; documents are ranked by best chunk
    lat.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s0).count());
    std::vector<int> docs;
    std::set<int> seen;
    for (const auto& h : r.hits) {
      const int p = doc_to_para[h.document_id];
      if (seen.insert(p).second) docs.push_back(p);
    }
    if (!docs.empty() && docs[0] == q.paragraph) ++at1;
    for (int i = 0; i < std::min<int>(k, static_cast<int>(docs.size())); ++i)
      if (docs[static_cast<size_t>(i)] == q.paragraph) ++atk;
  }
  const auto st = kb->stats();
  const double n = static_cast<double>(questions.size());
  std::printf("%s  paragraphs=%zu chunks=%lld questions=%zu  recall@1=%.3f recall@%d=%.3f  search p50=%.2fms p99=%.2fms  "
              "ingest=%.2fs  tiers=%s\n",
              lang.c_str(), paragraphs.size(), static_cast<long long>(st.chunks), questions.size(), at1 / n, k,
              atk / n, percentile(lat, 0.5), percentile(lat, 0.99), ingest_s,
              embed_dim > 0 ? "hot+warm(hash)" : "hot");
  kb.reset();
  fs::remove_all(dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  fs::path eval_dir = OWLET_EVAL_DIR;
  std::vector<std::string> langs = {"en", "zh"};
  int embed_dim = 0;
  int k = 5;
  double warm_weight = 1.0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--eval-dir") {
      eval_dir = next();
    } else if (a == "--lang") {
      langs.clear();
      std::string v = next();
      size_t p = 0;
      while (p <= v.size()) {
        const size_t c = std::min(v.find(',', p), v.size());
        if (c > p) langs.push_back(v.substr(p, c - p));
        p = c + 1;
      }
    } else if (a == "--hash-embed") {
      embed_dim = std::stoi(next());
    } else if (a == "--warm-weight") {
      warm_weight = std::stod(next());
    } else if (a == "--k") {
      k = std::stoi(next());
    } else {
      std::fprintf(stderr, "usage: %s [--eval-dir DIR] [--lang en,zh] [--hash-embed DIM] [--warm-weight W] [--k 5]\n",
                   argv[0]);
      return 2;
    }
  }
  int rc = 0;
  for (const auto& lang : langs) rc |= run_language(eval_dir, lang, embed_dim, warm_weight, k);
  return rc;
}
