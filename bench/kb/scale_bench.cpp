// kb_scale_bench — the knowledge base at scale on a generated corpus.
//
// Documents of 10 paragraphs x ~80 tokens (one chunk each): a third of the words
// from the document's topic (one of 200), the rest from a Zipf vocabulary, so
// postings lists look like real text and the vectors have topical structure. Reports: ingest rate
// (chunks/s, embedding included), hot-tier (FTS5/BM25) and fused top-10 latency
// p50/p99, HNSW top-10 recall against exact search, cold fetch p50/p99, size on disk.
// The embedder is a deterministic stand-in for a model (topic_embed: word vectors
// where a topic's words share a direction), so the numbers measure the index.
//
// usage: kb_scale_bench [--chunks N] [--dim D] [--no-warm] [--queries Q] [--dir DIR] [--keep]
//                       [--ef EF_SEARCH] [--budget FTS_POSTINGS] [--reuse]
// --reuse measures queries on a DIR kept (--keep) by an earlier run with the same
// --chunks and --dim: the corpus is generated again (same seed) but not ingested.
// Targets (issue 4, 2 cores, 1M chunks): hot p99 < 5 ms, fused p99 < 30 ms, cold p99 < 10 ms.
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "kb/knowledge_base.h"
#include "kb/vector_index.h"

namespace fs = std::filesystem;
using namespace owlet;
using namespace owlet::kb;
using Clock = std::chrono::steady_clock;

namespace {

// A pseudo-random dense unit-ish direction, fixed by seed (xorshift).
void add_direction(uint64_t seed, float weight, std::vector<float>* v) {
  uint64_t x = seed | 1;
  for (float& f : *v) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    f += weight * static_cast<float>(static_cast<int64_t>(x >> 11) % 2001 - 1000) * 1e-3f;
  }
}

// A stand-in for an embedding model: the sum of the text's word vectors, where a
// topic word points mostly along its topic's direction (related words are close,
// as in a real model) and other words along their own direction with less weight.
// word_topic maps a word to its topic, or -1.
std::vector<float> topic_embed(const std::string& text, int dim,
                               const std::unordered_map<std::string, int>& word_topic) {
  std::vector<float> v(static_cast<size_t>(dim), 0.0f);
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && !std::isalnum(static_cast<unsigned char>(text[i]))) ++i;
    size_t j = i;
    while (j < text.size() && std::isalnum(static_cast<unsigned char>(text[j]))) ++j;
    if (j > i) {
      const std::string w = text.substr(i, j - i);
      const uint64_t h = XXH3_64bits(w.data(), w.size());
      const auto it = word_topic.find(w);
      if (it != word_topic.end() && it->second >= 0) {
        add_direction(0x9E3779B97F4A7C15ull * static_cast<uint64_t>(it->second + 1), 1.0f, &v);
        add_direction(h, 0.5f, &v);
      } else {
        add_direction(h, 0.3f, &v);
      }
    }
    i = j;
  }
  return v;
}

double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5))];
}

struct Vocab {
  std::vector<std::string> words;
  std::vector<double> cdf;
  explicit Vocab(size_t n) {
    static const char* syl[] = {"ka", "to", "ri", "mu", "sen", "lo", "va", "dri", "pe", "zu", "ran", "mi", "co", "bel",
                                "fa", "nu", "ti", "gor", "sha", "wen"};
    std::mt19937_64 rng(7);
    double sum = 0;
    for (size_t i = 0; i < n; ++i) {
      std::string w;
      size_t x = i + 1;
      do {
        w += syl[x % 20];
        x /= 20;
      } while (x);
      words.push_back(w);
      sum += 1.0 / static_cast<double>(i + 1);  // Zipf, s = 1
      cdf.push_back(sum);
    }
    for (double& c : cdf) c /= sum;
  }
  // A topic word: from a 200-word slice of the less common vocabulary.
  const std::string& topic_word(int topic, std::mt19937_64& rng) const {
    return words[1000 + static_cast<size_t>(topic) * 200 + rng() % 200];
  }
  const std::string& draw(std::mt19937_64& rng) const {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return words[static_cast<size_t>(std::lower_bound(cdf.begin(), cdf.end(), u) - cdf.begin()) % words.size()];
  }
};

}  // namespace

int main(int argc, char** argv) {
  size_t n_chunks = 20000;
  int dim = 384;
  bool warm = true, keep = false, reuse = false;
  int n_queries = 500;
  int ef = KbOptions{}.hnsw_ef_search;
  int64_t budget = KbOptions{}.fts_posting_budget;
  fs::path dir = fs::temp_directory_path() / ("owlet-kb-scale-" + std::to_string(::getpid()));
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--chunks") n_chunks = std::stoul(next());
    else if (a == "--dim") dim = std::stoi(next());
    else if (a == "--no-warm") warm = false;
    else if (a == "--queries") n_queries = std::stoi(next());
    else if (a == "--dir") dir = next();
    else if (a == "--keep") keep = true;
    else if (a == "--reuse") reuse = keep = true;
    else if (a == "--ef") ef = std::stoi(next());
    else if (a == "--budget") budget = std::stoll(next());
    else {
      std::fprintf(stderr, "usage: %s [--chunks N] [--dim D] [--no-warm] [--queries Q] [--dir DIR] [--keep]\n"
                   "       [--ef EF_SEARCH] [--budget FTS_POSTINGS] [--reuse]\n", argv[0]);
      return 2;
    }
  }
  if (!reuse) fs::remove_all(dir);
  const Vocab vocab(50000);
  std::unordered_map<std::string, int> word_topic;
  for (size_t w = 1000; w < 1000 + 200 * 200; ++w) word_topic[vocab.words[w]] = static_cast<int>((w - 1000) / 200);
  KbOptions opts;
  opts.chunker.max_tokens = 128;
  opts.chunker.overlap_tokens = 0;
  opts.near_dup_max_distance = -1;  // generated texts, no mirrors; skip the scan
  opts.hnsw_ef_search = ef;
  opts.fts_posting_budget = budget;
  if (warm) {
    opts.embedder.id = "topic-bow-" + std::to_string(dim);
    opts.embedder.dim = dim;
    opts.embedder.embed = [dim, wt = &word_topic](const std::vector<std::string>& texts) {
      std::vector<std::vector<float>> out;
      for (const auto& t : texts) out.push_back(topic_embed(t, dim, *wt));
      return out;
    };
  }
  owlet::Error err;
  auto kb = KnowledgeBase::open(dir.string(), opts, &err);
  if (!kb) {
    std::fprintf(stderr, "open: %s\n", err.message.c_str());
    return 1;
  }

  std::mt19937_64 rng(42);
  std::vector<int64_t> doc_ids;
  std::vector<std::string> sample_paragraphs;  // query material
  std::vector<std::vector<float>> para_vecs;
  const size_t per_doc = 10;
  const auto t0 = Clock::now();
  size_t chunks = 0;
  for (size_t d = 0; chunks < n_chunks; ++d) {
    const int topic = static_cast<int>(rng() % 200);
    std::string text;
    for (size_t p = 0; p < per_doc; ++p) {
      std::string para;
      for (int s = 0; s < 6; ++s) {
        for (int w = 0; w < 12; ++w) para += (w ? " " : "") + (w % 3 == 0 ? vocab.topic_word(topic, rng) : vocab.draw(rng));
        para += ". ";
      }
      if (rng() % 97 == 0 && sample_paragraphs.size() < 5000) sample_paragraphs.push_back(para);
      if (warm) {
        para_vecs.push_back(topic_embed(para, dim, word_topic));
        l2_normalize(&para_vecs.back());
      }
      text += para + "\n\n";
    }
    Document doc;
    doc.source = "gen://" + std::to_string(d);
    if (reuse) {
      const auto info = kb->document_info(doc.source);
      if (!info) {
        std::fprintf(stderr, "--reuse: %s is not in %s\n", doc.source.c_str(), dir.c_str());
        return 1;
      }
      doc_ids.push_back(info->id);
      chunks += per_doc;
      continue;
    }
    doc.text = std::move(text);
    const AddResult r = kb->add(doc);
    if (!r.ok()) {
      std::fprintf(stderr, "add: %s\n", r.error.message.c_str());
      return 1;
    }
    doc_ids.push_back(r.document_id);
    chunks += static_cast<size_t>(r.chunks);
    if (d % 1000 == 999) std::fprintf(stderr, "\r%zu chunks", chunks);
  }
  const double ingest_s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::fprintf(stderr, "\n");
  if (!kb->flush(&err)) std::fprintf(stderr, "flush: %s\n", err.message.c_str());

  // Queries: 3-6 words from a real paragraph (so each has a relevant answer),
  // leaving out the 100 most frequent words of the generated language — its stop
  // words, as kb drops "the", "of", ... from English queries.
  std::set<std::string> stop(vocab.words.begin(), vocab.words.begin() + 100);
  std::vector<std::string> queries;
  while (static_cast<int>(queries.size()) < n_queries) {
    const std::string& p = sample_paragraphs[rng() % sample_paragraphs.size()];
    std::vector<std::string> words;
    size_t i = 0;
    while (i < p.size()) {
      const size_t j = std::min(p.find_first_of(" .", i), p.size());
      if (j > i && !stop.count(p.substr(i, j - i))) words.push_back(p.substr(i, j - i));
      i = j + 1;
    }
    if (words.empty()) continue;
    std::string query;
    const size_t n = 3 + rng() % 4;
    for (size_t k = 0; k < n; ++k) query += words[rng() % words.size()] + " ";
    queries.push_back(query);
  }
  std::vector<double> hot_ms, warm_ms, total_ms;
  for (const auto& q : queries) {
    const SearchResult r = kb->search(q, 10);
    hot_ms.push_back(r.hot_ms);
    warm_ms.push_back(r.warm_ms);
    total_ms.push_back(r.total_ms);
  }

  // HNSW recall@10 against exact (brute-force) search over the same vectors (each
  // generated paragraph is exactly one chunk).
  double recall = -1;
  if (warm) {
    const int n_eval = std::min(n_queries, 100);
    size_t found = 0, wanted = 0;
    for (int q = 0; q < n_eval; ++q) {
      std::vector<float> qv = topic_embed(queries[static_cast<size_t>(q)], dim, word_topic);
      l2_normalize(&qv);
      std::vector<std::pair<float, size_t>> scored;
      scored.reserve(para_vecs.size());
      for (size_t i = 0; i < para_vecs.size(); ++i) {
        float dot = 0;
        for (int k = 0; k < dim; ++k) dot += qv[static_cast<size_t>(k)] * para_vecs[i][static_cast<size_t>(k)];
        scored.emplace_back(dot, i);
      }
      std::partial_sort(scored.begin(), scored.begin() + 10, scored.end(), std::greater<>());
      // Tie-aware: a returned chunk counts when its similarity reaches the exact 10th best.
      const float tenth = scored[9].first;
      // k = 40 fused hits always include the warm tier's top 10 (see RRF bounds).
      const SearchResult r = kb->search(queries[static_cast<size_t>(q)], 40);
      for (const auto& h : r.hits)
        if (h.warm_rank >= 1 && h.warm_rank <= 10 && h.warm_score >= tenth - 1e-5f) ++found;
      wanted += 10;
    }
    recall = static_cast<double>(found) / static_cast<double>(wanted);
  }

  std::vector<double> cold_ms;
  for (int q = 0; q < n_queries; ++q) {
    const int64_t id = doc_ids[rng() % doc_ids.size()];
    std::string text;
    const auto c0 = Clock::now();
    if (!kb->get_document(id, nullptr, &text, &err)) {
      std::fprintf(stderr, "cold: %s\n", err.message.c_str());
      return 1;
    }
    cold_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - c0).count());
  }
  const KbStats st = kb->stats();
  if (reuse)
    std::printf("chunks=%lld docs=%lld (reused %s)\n", static_cast<long long>(st.chunks),
                static_cast<long long>(st.documents), dir.c_str());
  else
    std::printf("chunks=%lld docs=%lld ingest=%.1fs (%.0f chunks/s)\n", static_cast<long long>(st.chunks),
                static_cast<long long>(st.documents), ingest_s, static_cast<double>(st.chunks) / ingest_s);
  std::printf("hot   top-10 p50=%.2fms p99=%.2fms\n", pct(hot_ms, 0.5), pct(hot_ms, 0.99));
  if (warm)
    std::printf("warm  top-10 p50=%.2fms p99=%.2fms (dim %d) recall@10 vs exact=%.3f\n", pct(warm_ms, 0.5),
                pct(warm_ms, 0.99), dim, recall);
  std::printf("fused top-10 p50=%.2fms p99=%.2fms\n", pct(total_ms, 0.5), pct(total_ms, 0.99));
  std::printf("cold  fetch  p50=%.2fms p99=%.2fms\n", pct(cold_ms, 0.5), pct(cold_ms, 0.99));
  std::printf("size  sqlite=%.1f MiB cold=%.1f MiB hnsw=%.1f MiB text=%.1f MiB\n", st.db_bytes / 1048576.0,
              st.cold_bytes / 1048576.0, st.warm_bytes / 1048576.0, st.text_bytes / 1048576.0);
  kb.reset();
  if (!keep) fs::remove_all(dir);
  return 0;
}
