// libFuzzer entry points for parsers of untrusted input outside the web module:
// the server's request bodies (JsonBody + Ollama's "options"/"format"), the
// server's request intake (headers + body, gzip included), the knowledge base's
// chunker, and its text normalization (answer-cache keys, FTS query terms).
// OWLET_FUZZ_TARGET picks one; one binary per target (CMakeLists.txt).
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
#elif OWLET_FUZZ_TARGET == 5
#include <httplib.h>
#include <zlib.h>

#include "server/intake.h"
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

#if OWLET_FUZZ_TARGET == 5
using namespace owlet::server;

// deflate-compressed with a gzip header, as a client would send it.
std::string gzip_of(const std::string& data) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, data.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// "METHOD PATH\nName: value\n...\n\nbody" → a request as httplib hands it over (no body yet).
std::string parse_head(std::string_view in, httplib::Request* req) {
  size_t end = in.find("\n\n");
  std::string_view head = in.substr(0, end), body = end == std::string_view::npos ? "" : in.substr(end + 2);
  size_t nl = head.find('\n');
  std::string_view line = head.substr(0, nl);
  size_t sp = line.find(' ');
  req->method = std::string(line.substr(0, sp));
  req->path = sp == std::string_view::npos ? "/" : std::string(line.substr(sp + 1));
  while (nl != std::string_view::npos) {
    head.remove_prefix(nl + 1);
    nl = head.find('\n');
    std::string_view h = head.substr(0, nl);
    size_t colon = h.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view v = h.substr(colon + 1);
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    req->headers.emplace(std::string(h.substr(0, colon)), std::string(v));
  }
  return std::string(body);
}

// The body as the server reads it: httplib's own gzip decoder (the one the server
// runs) feeding the intake's counter, or plain chunks; multipart parts split on NUL.
bool read_like_the_server(const httplib::Request& req, const std::string& wire, BodyCollector& c) {
  auto sink = [&](const char* d, size_t n) {
    if (!req.is_multipart_form_data()) return c.append(d, n);
    std::string_view chunk(d, n);
    for (size_t start = 0; start <= chunk.size();) {
      size_t z = std::min(chunk.find('\0', start), chunk.size());
      httplib::MultipartFormData head;
      head.name = std::string(chunk.substr(start, std::min<size_t>(z - start, 16)));
      if (!c.begin_part(head) || !c.append_part(chunk.data() + start, z - start)) return false;
      start = z + 1;
    }
    return true;
  };
  if (req.get_header_value("Content-Encoding") == "gzip") {
    httplib::detail::gzip_decompressor d;
    return d.is_valid() && d.decompress(wire.data(), wire.size(), sink);
  }
  for (size_t i = 0; i < wire.size(); i += 4096)
    if (!sink(wire.data() + i, std::min<size_t>(4096, wire.size() - i))) return false;
  return true;
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
#elif OWLET_FUZZ_TARGET == 5
  // Byte 0: bit 0 = an API key is set, bit 1 = shutting down, bits 2-3 = how the
  // body is sent (as is; gzip-compressed by the client after repeating it
  // 16^k times, so small inputs become large decoded bodies).
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  in.remove_prefix(1);
  IntakePolicy p;
  if (flags & 1) p.api_key = "k3y";
  p.body.max_bytes = 1u << 20;
  p.body.max_parts = 8;
  p.models.configured = {"/models/default.gguf"};
  httplib::Request req;
  std::string body = parse_head(in, &req);
  const int k = (flags >> 2) & 3;
  if (k > 0) {
    std::string big;
    for (int i = 0, n = 1 << (4 * k); i < n && big.size() < (8u << 20); ++i) big += body;
    body = gzip_of(big);
    req.headers.erase("Content-Encoding");
    req.headers.emplace("Content-Encoding", "gzip");
  }
  HeadVerdict v = check_head(req, p, flags & 2);
  if (!v.admitted()) {
    check(v.status == 204 || v.status == 400 || v.status == 401 || v.status == 403 || v.status == 415 ||
          v.status == 503);
    check(v.status == 204 || !v.error.empty());
    if (flags & 2) check(v.status == 503);
    return 0;
  }
  check(!(flags & 2));
  if ((flags & 1) && req.path != "/health" && req.method != "GET") {
    // Admitted with a key set: the request carried exactly one Bearer header with it.
    check(req.get_header_value_count("Authorization") == 1);
    check(req.get_header_value("Authorization").find("k3y") != std::string::npos);
  }
  BodyCollector c(p.body);
  bool read = read_like_the_server(req, body, c);
  check(c.bytes() <= p.body.max_bytes);  // decoded bytes never pass the limit, whatever the encoding
  if (!c.error().ok()) check(!read && !c.error().message.empty());
  if (!read) return 0;
  req.body = std::move(c.body());
  req.files = std::move(c.files());
  owlet::Error e;
  if (!check_body(req, p, &e))
    check(!e.message.empty() && (e.kind == owlet::ErrorKind::bad_request || e.kind == owlet::ErrorKind::forbidden));
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
