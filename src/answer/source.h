// A source of evidence for an answer, from the knowledge base or the web, and
// the numbered form it takes in the context and in the answer's `sources[]`.
#pragma once

#include <cstdint>
#include <string>

namespace owlet::answer {

struct Source {
  int n = 0;                  // citation number, 1-based, once numbered by the context builder
  std::string title;
  std::string url;            // canonical URL, or the KB document's source (path or URL)
  std::string site;           // host without "www." ("" for local files)
  std::string published;      // ISO 8601 date when known, else ""
  std::string snippet;        // short plain text shown to the user (<= ~300 chars)
  std::string text;           // the evidence text the context builder picks sentences from
  std::string origin;         // "kb", "web-snippet", "web-page"
  double score = 0;           // fused retrieval score, higher is better
  int64_t fetched_at = 0;     // unix seconds when the text was fetched (0 = unknown)
};

// "www.example.com" from "https://www.example.com/a" -> "example.com"; "" for non-URLs.
std::string site_of(const std::string& url);

}  // namespace owlet::answer
