// libFuzzer entry points for the web module's parsers of untrusted input.
// OWLET_FUZZ_TARGET picks the parser; one binary per target (see CMakeLists.txt).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "web/charset.h"
#include "web/html_extractor.h"
#include "web/search_providers.h"
#include "web/url.h"

using namespace owlet::web;

namespace {

// Properties every parser must keep whatever the input: valid UTF-8 out of the
// extractor, absolute http(s) URLs and 1-based ranks out of the providers.
[[maybe_unused]] void check_results(const std::vector<SearchResult>& results) {
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i].rank != static_cast<int>(i) + 1) __builtin_trap();
    if (results[i].url.rfind("http", 0) != 0) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<SearchResult> results;
#if OWLET_FUZZ_TARGET == 1
  DecodedText d = decode_to_utf8(in, "text/html");
  if (!is_valid_utf8(d.text)) __builtin_trap();
  ExtractedPage p = extract_html(d.text, "https://fuzz.example/dir/page.html");
  if (!is_valid_utf8(p.text) || !is_valid_utf8(p.title)) __builtin_trap();
  for (const auto& l : p.links)
    if (l.url.rfind("http", 0) != 0) __builtin_trap();
#elif OWLET_FUZZ_TARGET == 2
  parse_searxng_json(in, results);
  check_results(results);
#elif OWLET_FUZZ_TARGET == 3
  parse_brave_json(in, results);
  check_results(results);
#elif OWLET_FUZZ_TARGET == 4
  parse_ollama_search_json(in, results);
  check_results(results);
  WebFetchResult f;
  parse_ollama_fetch_json(in, f);
#elif OWLET_FUZZ_TARGET == 5
  parse_wikipedia_json(in, results);
  check_results(results);
#elif OWLET_FUZZ_TARGET == 6
  parse_duckduckgo_html(in, results);
  check_results(results);
#elif OWLET_FUZZ_TARGET == 7
  std::string c = canonicalize_url(in);
  if (!c.empty() && canonicalize_url(c) != c) __builtin_trap();  // canonical form is a fixed point
  (void)resolve_url("https://fuzz.example/a/b", in);
#else
#error "set OWLET_FUZZ_TARGET"
#endif
  return 0;
}
