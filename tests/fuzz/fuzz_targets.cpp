// libFuzzer entry points for parsers of untrusted input outside the web module:
// the server's request bodies (JsonBody + Ollama's "options"/"format"), the
// knowledge base's chunker, and its text normalization (answer-cache keys, FTS
// query terms). OWLET_FUZZ_TARGET picks one; one binary per target (CMakeLists.txt).
//
// Each target checks properties that must hold for every input, not just "no
// crash": a failed check traps, so libFuzzer saves the input like any crash.
#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#if OWLET_FUZZ_TARGET == 1
#include "server/chat_service.h"
#include "server/json_body.h"
#include "server/messages.h"
#elif OWLET_FUZZ_TARGET == 2
#include "kb/chunker.h"
#include "kb/text.h"
#elif OWLET_FUZZ_TARGET == 3
#include "kb/fts_text.h"
#include "kb/text.h"
#elif OWLET_FUZZ_TARGET == 4
#include "answer/citations.h"
#include "answer/context_builder.h"
#include "answer/extractive.h"
#include "answer/router.h"
#include "kb/text.h"
#else
#error "set OWLET_FUZZ_TARGET"
#endif

namespace {

[[maybe_unused]] void check(bool ok) {
  if (!ok) __builtin_trap();
}

#if OWLET_FUZZ_TARGET == 1
using owlet::server::json;
using owlet::server::JsonBody;

// The fields the Ollama and OpenAI handlers read, read the way they read them:
// every getter must either succeed or leave a one-line error, never throw.
void read_like_the_handlers(JsonBody& b) {
  std::string s;
  bool flag = false;
  long long i = 0;
  double d = 0;
  (void)b.str("model", &s, true);
  (void)b.str("prompt", &s);
  (void)b.str("system", &s);
  (void)b.str("template", &s);
  (void)b.str("suffix", &s);
  (void)b.boolean("stream", &flag);
  (void)b.boolean("raw", &flag);
  (void)b.boolean("insecure", &flag);
  (void)b.integer("max_tokens", &i, 1, 1 << 24);
  (void)b.integer("max_completion_tokens", &i, 1, 1 << 24);
  (void)b.integer("n", &i, 1, 1);
  (void)b.integer("seed", &i, -1, 0xFFFFFFFFLL);
  (void)b.number("temperature", &d, 0, 2);
  (void)b.number("top_p", &d, 0, 1);
  (void)b.number("frequency_penalty", &d, -2, 2);
  (void)b.number("presence_penalty", &d, -2, 2);
  const json& root = b.root();
  if (root.contains("messages")) {
    // The one message parser, in each API's dialect: a message list is parsed or refused with a reason.
    for (auto dialect : {owlet::server::MessageDialect::ollama, owlet::server::MessageDialect::openai,
                         owlet::server::MessageDialect::owlet}) {
      std::vector<owlet::llm::ChatMessage> msgs;
      owlet::Error merr;
      if (!owlet::server::parse_messages(root["messages"], dialect, &msgs, &merr)) check(!merr.message.empty());
    }
  }
  // Every error must come back as JSON the server can send: dump with replacement
  // never throws, so a 400 body is always producible.
  std::string out = json{{"error", b.error().message}}.dump(-1, ' ', false, json::error_handler_t::replace);
  check(!out.empty());
}
#endif

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
#if OWLET_FUZZ_TARGET == 1
  JsonBody b;
  owlet::Error err;
  if (!b.parse(std::string(in), &err)) {
    check(!err.ok());  // a rejected body always says why
    return 0;
  }
  check(b.root().is_object());
  read_like_the_handlers(b);
  owlet::server::GenerationOptions opts;
  err.clear();
  if (!owlet::server::parse_ollama_options(b.root(), &opts, &err)) check(!err.ok());
#elif OWLET_FUZZ_TARGET == 2
  using namespace owlet::kb;
  using namespace owlet;
  // The first two bytes choose the budget and the overlap, so the fuzzer explores
  // tiny budgets (where long-sentence and long-word cuts happen) as well as defaults.
  ChunkerOptions o;
  if (in.size() >= 2) {
    o.max_tokens = 4 + static_cast<uint8_t>(in[0]) % 300;
    o.overlap_tokens = static_cast<uint8_t>(in[1]) % (o.max_tokens / 2 + 1);
    in.remove_prefix(2);
  }
  const std::string clean = utf8_sanitize(in);
  check(utf8_valid(clean));
  size_t last_offset = 0;
  for (const Chunk& c : chunk_text(in, o)) {
    check(!c.text.empty());
    check(utf8_valid(c.text));                                     // never ends inside a code point
    check(c.offset + c.text.size() <= clean.size());
    check(clean.compare(c.offset, c.text.size(), c.text) == 0);    // a byte range of the sanitized input
    check(c.offset >= last_offset);                                // in document order
    check(c.tokens <= std::max(o.max_tokens, 8));                  // under the budget (chunk_text raises it to 8)
    last_offset = c.offset;
  }
#elif OWLET_FUZZ_TARGET == 3
  using namespace owlet::kb;
  using namespace owlet;
  const std::string q = normalize_question(in);
  check(utf8_valid(q));
  check(q.empty() || (q.front() != ' ' && q.back() != ' '));  // whitespace collapsed and trimmed
  if (utf8_valid(in)) check(utf8_sanitize(in) == in);         // sanitize leaves valid text alone
  SearchTerms t = search_terms(in);
  for (const auto* v : {&t.latin, &t.cjk, &t.cjk_prefix})
    for (const std::string& term : *v) check(!term.empty() && utf8_valid(term));
  const std::string expr = fts_match_expr(t);
  check(utf8_valid(expr));
  check(t.empty() == expr.empty());
  // Index columns are computed from chunk text, which the chunker has sanitized.
  const std::string clean = utf8_sanitize(in);
  check(utf8_valid(fts_latin_column(clean)));
  check(utf8_valid(fts_cjk_column(clean)));
  (void)estimate_tokens(in);
  (void)detect_language(in);
#elif OWLET_FUZZ_TARGET == 4
  using namespace owlet::answer;
  // Untrusted text reaches the answer module as questions (router) and as model
  // output and page text (citations, context builder, extractive answers).
  const uint8_t mode = size ? data[0] % 3 : 0;
  if (size) in.remove_prefix(1);
  if (mode == 0) {
    const double cov = size > 1 ? data[1] / 255.0 : 0.0;
    for (WebMode m : {WebMode::automatic, WebMode::always, WebMode::never}) {
      RouteDecision d = route(in, cov, m, 1795852800);
      check(!d.reasons.empty());  // every decision says why
      if (m == WebMode::never) check(!d.needs_web());
      if (m == WebMode::always) check(d.needs_web());
    }
    const double c = coverage(in, in);
    check(c >= 0.0 && c <= 1.0);
  } else if (mode == 1) {
    // Streaming and one-shot citation checks agree, however the text is cut.
    const int n = size > 1 ? data[1] % 8 : 3;
    CitationCheck whole = check_citations(in, n);
    CitationFilter f(n);
    std::string streamed;
    size_t i = 0, step = 1;
    while (i < in.size()) {
      size_t len = std::min(step, in.size() - i);
      streamed += f.feed(in.substr(i, len));
      i += len;
      step = step % 7 + 1;
    }
    streamed += f.finish();
    check(streamed == whole.text);
    check(f.removed() == whole.removed);
    for (int c : whole.cited) check(c >= 1 && c <= n);
  } else {
    // Sources separated by NUL; the question is the first part.
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t j = 0; j <= in.size(); ++j)
      if (j == in.size() || in[j] == '\0') {
        parts.emplace_back(in.substr(start, j - start));
        start = j + 1;
      }
    std::vector<Source> sources;
    for (size_t j = 1; j < parts.size() && j < 8; ++j) {
      Source src;
      src.title = parts[j].substr(0, 40);
      src.url = "https://example.com/" + std::to_string(j);
      src.text = parts[j];
      sources.push_back(src);
    }
    ContextOptions o;
    o.token_budget = 64 + (size > 1 ? data[1] : 0) * 4;
    BuiltContext ctx = build_context(parts[0], sources, o);
    check(ctx.sources.size() <= sources.size());
    if (!ctx.text.empty()) {
      // Exactly one opening and one closing delimiter: no source text can fake either.
      size_t open = ctx.text.find("<<<SOURCES"), close = ctx.text.find("<<<END SOURCES>>>");
      check(open != std::string::npos && close != std::string::npos && open < close);
      check(ctx.text.find("<<<SOURCES", open + 1) == std::string::npos);
      check(ctx.text.find("<<<END SOURCES>>>", close + 1) == std::string::npos);
    }
    ExtractiveAnswer ea = extract_answer(parts[0], ctx.sources);
    for (int c : ea.cited) check(c >= 1 && c <= static_cast<int>(ctx.sources.size()));
  }
#endif
  return 0;
}
