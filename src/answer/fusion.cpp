#include "answer/fusion.h"

#include <algorithm>
#include <ctime>
#include <map>

#include "common/simhash.h"
#include "web/url.h"

namespace owlet::answer {
namespace {

// The identity of a source across lists: its canonical URL, or the path for local files.
std::string identity(const Source& s) {
  std::string c = web::canonicalize_url(s.url);
  return c.empty() ? s.url : c;
}

// How much evidence a source carries: a page beats a snippet beats nothing.
int richness(const Source& s) {
  if (s.origin == "web-page") return 3;
  if (s.origin == "kb") return 2;
  return s.text.size() > s.snippet.size() ? 2 : 1;
}

int64_t source_time(const Source& s) {
  int64_t t = parse_iso_date(s.published);
  return t ? t : 0;
}

}  // namespace

int64_t parse_iso_date(const std::string& s) {
  struct tm tm {};
  if (s.size() < 10) return 0;
  const char* end = strptime(s.c_str(), "%Y-%m-%d", &tm);
  if (!end) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

std::vector<Source> fuse_sources(const std::vector<std::vector<Source>>& lists, const FusionOptions& o) {
  std::map<std::string, size_t> by_id;
  std::vector<Source> merged;
  for (const auto& list : lists) {
    for (size_t rank = 0; rank < list.size(); ++rank) {
      const Source& s = list[rank];
      double term = 1.0 / (o.rrf_k + static_cast<double>(rank + 1));
      std::string id = identity(s);
      auto it = by_id.find(id);
      if (it == by_id.end()) {
        by_id.emplace(id, merged.size());
        merged.push_back(s);
        merged.back().score = term;
        continue;
      }
      Source& m = merged[it->second];
      double score = m.score + term;
      if (richness(s) > richness(m)) {
        std::string snippet = m.snippet.empty() ? s.snippet : m.snippet;
        m = s;
        if (m.snippet.empty()) m.snippet = snippet;
      }
      m.score = score;
    }
  }
  if (o.time_sensitive && o.now > 0) {
    const int64_t window = static_cast<int64_t>(o.recent_days) * 86400;
    for (auto& s : merged) {
      int64_t t = source_time(s);
      if (t > 0 && o.now - t <= window) s.score *= 1.0 + o.recency_boost;
    }
  }
  std::stable_sort(merged.begin(), merged.end(), [](const Source& a, const Source& b) { return a.score > b.score; });

  // Near-duplicate texts: keep the better-ranked copy.
  std::vector<Source> out;
  std::vector<SimhashResult> kept;
  for (auto& s : merged) {
    SimhashResult h = simhash(s.text.empty() ? s.snippet : s.text);
    bool dup = false;
    if (h.shingles >= 8) {
      for (const auto& k : kept)
        if (k.shingles >= 8 && hamming_distance(k.hash, h.hash) <= o.near_dup_bits) dup = true;
    }
    if (dup) continue;
    kept.push_back(h);
    out.push_back(std::move(s));
    if (out.size() >= o.max_sources) break;
  }
  return out;
}

}  // namespace owlet::answer
