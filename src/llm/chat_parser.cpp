#include "llm/chat_parser.h"

#include <chat.h>

#include <chrono>
#include <ctime>
#include <random>

#include "llm/chat_format.h"

namespace owlet::llm {
namespace {

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

void lstrip(std::string* s) {
  size_t i = 0;
  while (i < s->size() && is_space((*s)[i])) ++i;
  s->erase(0, i);
}

void rstrip(std::string* s) {
  while (!s->empty() && is_space(s->back())) s->pop_back();
}

// The whitespace a template puts after its thinking tags is neither thought nor
// answer. Dropping it at the front keeps every partial parse a prefix of the next.
void normalize(common_chat_msg* m, const ChatFormat* f, bool final) {
  lstrip(&m->reasoning_content);
  if (f && f->thinking_template) lstrip(&m->content);
  if (final) rstrip(&m->reasoning_content);
}

// Parses text as llama.cpp does; on a final parse that does not match the
// format, keeps what a lenient (partial) parse found, else all of it as content.
common_chat_msg parse(const ChatFormat* f, const std::string& text, bool partial, bool* ok) {
  *ok = true;
  if (!f) {
    common_chat_msg m;
    m.role = "assistant";
    m.content = text;
    return m;
  }
  try {
    return common_chat_parse(text, partial, f->params);
  } catch (const std::exception&) {
  }
  if (partial) {
    *ok = false;
    return {};
  }
  try {
    return common_chat_parse(text, true, f->params);
  } catch (const std::exception&) {
  }
  common_chat_msg m;
  m.role = "assistant";
  m.content = text;
  return m;
}

std::string new_call_id(std::mt19937_64& rng) {
  static const char* hex = "0123456789abcdef";
  std::string id = "call_";
  for (int i = 0; i < 24; ++i) id += hex[rng() & 15];
  return id;
}

}  // namespace

struct ChatParser::Impl {
  std::shared_ptr<const ChatFormat> format;
  common_chat_msg prev;
  std::vector<std::string> ids;  // a call keeps its id across partial parses
  std::vector<bool> announced;   // its id and name were sent
  std::mt19937_64 rng{std::random_device{}()};
  double last_parse_us = 0;  // what the last partial parse cost
  int pending = 0;           // pieces since it

  std::vector<MessageDelta> update(const std::string& text, bool partial, ParsedMessage* out);
};

std::vector<MessageDelta> ChatParser::Impl::update(const std::string& text, bool partial, ParsedMessage* out) {
  bool ok = true;
  common_chat_msg m = parse(format.get(), text, partial, &ok);
  if (!ok) return {};
  normalize(&m, format.get(), !partial);
  m.set_tool_call_ids(ids, [this] { return new_call_id(rng); });
  std::vector<common_chat_msg_diff> diffs;
  try {
    diffs = common_chat_msg_diff::compute_diffs(prev, m);
  } catch (const std::exception&) {
    if (partial) return {};  // a partial parse that went back on itself: wait for more text
  }
  prev = m;
  out->content = m.content;
  out->reasoning = m.reasoning_content;
  out->tool_calls.clear();
  for (const auto& c : m.tool_calls) out->tool_calls.push_back({c.id, c.name, c.arguments});

  std::vector<MessageDelta> deltas;
  announced.resize(m.tool_calls.size(), false);
  auto announce = [&](size_t i, const std::string& args) {
    MessageDelta d;
    d.tool_index = static_cast<int>(i);
    d.tool_id = m.tool_calls[i].id;
    d.tool_name = m.tool_calls[i].name;
    d.tool_arguments = args;
    deltas.push_back(std::move(d));
    announced[i] = true;
  };
  for (const auto& d : diffs) {
    if (d.tool_call_index == std::string::npos) {
      MessageDelta t;
      t.reasoning = d.reasoning_content_delta;
      t.content = d.content_delta;
      if (!t.reasoning.empty() || !t.content.empty()) deltas.push_back(std::move(t));
      continue;
    }
    const size_t i = d.tool_call_index;
    if (i >= m.tool_calls.size()) continue;
    const std::string& args = d.tool_call_delta.arguments;
    if (announced[i]) {
      if (!args.empty()) {
        MessageDelta t;
        t.tool_index = static_cast<int>(i);
        t.tool_arguments = args;
        deltas.push_back(std::move(t));
      }
    } else if (!m.tool_calls[i].name.empty() && (!args.empty() || !partial)) {
      // The name is complete once arguments start (or the output ends).
      announce(i, args);
    }
  }
  if (!partial)
    for (size_t i = 0; i < m.tool_calls.size(); ++i)
      if (!announced[i] && !m.tool_calls[i].name.empty()) announce(i, m.tool_calls[i].arguments);
  return deltas;
}

ChatParser::ChatParser(const ChatPrompt& prompt) : ChatParser(prompt.format) {}

ChatParser::ChatParser(std::shared_ptr<const ChatFormat> format) : impl_(std::make_unique<Impl>()) {
  impl_->format = std::move(format);
}

ChatParser::~ChatParser() = default;

namespace {

// The calling thread's CPU time: what a parse costs, not how long the thread
// waited for a core on a busy machine (wall time would batch deltas under load).
double thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

}  // namespace

// Re-parsing grows with the output (about 1 ms for 32 KB of text) and runs on
// the engine's thread: once a parse costs more than the budget, the next ones
// wait for enough pieces that parsing stays within the budget per piece. The
// deltas then come a few tokens at a time; finish() always parses.
std::vector<MessageDelta> ChatParser::push(std::string_view piece) {
  constexpr double kBudgetUs = 200;
  if (piece.empty()) return {};
  text_.append(piece);
  if (++impl_->pending * kBudgetUs < impl_->last_parse_us) return {};
  impl_->pending = 0;
  const double t0 = thread_cpu_us();
  std::vector<MessageDelta> d = impl_->update(text_, true, &msg_);
  impl_->last_parse_us = thread_cpu_us() - t0;
  return d;
}

std::vector<MessageDelta> ChatParser::finish() { return impl_->update(text_, false, &msg_); }

ParsedMessage parse_completion(const ChatPrompt& prompt, const std::string& text) {
  ChatParser p(prompt);
  p.push(text);
  p.finish();
  return p.message();
}

}  // namespace owlet::llm
