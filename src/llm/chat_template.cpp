#include "llm/chat_template.h"

#include <chat.h>
#include <gguf.h>
#include <llama.h>

#include "llm/backend.h"
#include "llm/chat_format.h"
#include "llm/engine.h"
#include "llm/model.h"

namespace owlet::llm {

struct ChatTemplate::Impl {
  common_chat_templates_ptr tmpls;
  const llama_vocab* vocab = nullptr;
};

namespace {

std::vector<common_chat_msg> to_common(const std::vector<ChatMessage>& messages) {
  std::vector<common_chat_msg> out;
  for (const auto& m : messages) {
    common_chat_msg msg;
    msg.role = m.role;
    msg.content = m.content;
    msg.reasoning_content = m.reasoning;
    msg.tool_name = m.tool_name;
    msg.tool_call_id = m.tool_call_id;
    for (const auto& c : m.tool_calls) msg.tool_calls.push_back({c.name, c.arguments, c.id});
    out.push_back(std::move(msg));
  }
  return out;
}

// Message text that would tokenize to control tokens goes through placeholders
// (prompt_text.h): what a user or a web page wrote never speaks as the template.
std::vector<IsolatedText> isolate_contents(const llama_vocab* vocab, std::vector<common_chat_msg>* messages) {
  std::vector<std::string*> contents;
  for (auto& m : *messages) contents.push_back(&m.content);
  return isolate_control_text(vocab, contents);
}

common_chat_tool_choice to_common(ToolChoice c) {
  switch (c) {
    case ToolChoice::required: return COMMON_CHAT_TOOL_CHOICE_REQUIRED;
    case ToolChoice::none: return COMMON_CHAT_TOOL_CHOICE_NONE;
    case ToolChoice::automatic: break;
  }
  return COMMON_CHAT_TOOL_CHOICE_AUTO;
}

GrammarTrigger from_common(const common_grammar_trigger& t) {
  GrammarTrigger g;
  g.value = t.value;
  if (t.type == COMMON_GRAMMAR_TRIGGER_TYPE_PATTERN) g.kind = GrammarTrigger::Kind::pattern;
  else if (t.type == COMMON_GRAMMAR_TRIGGER_TYPE_PATTERN_FULL) g.kind = GrammarTrigger::Kind::pattern_full;
  else g.kind = GrammarTrigger::Kind::word;  // a word, or a token given by its text
  return g;
}

}  // namespace

std::unique_ptr<ChatTemplate> ChatTemplate::create(const Model& model, const std::string& template_override,
                                                   Error* err) {
  std::unique_ptr<ChatTemplate> t(new ChatTemplate());
  t->impl_ = std::make_unique<Impl>();
  t->impl_->vocab = model.vocab();
  try {
    t->impl_->tmpls = common_chat_templates_init(model.raw(), template_override);
  } catch (const std::exception& e) {
    *err = Error(ErrorKind::internal, std::string("invalid chat template: ") + e.what());
    return nullptr;
  }
  if (!t->impl_->tmpls) {
    *err = Error(ErrorKind::internal, "invalid chat template");
    return nullptr;
  }
  if (!t->init_caps(err)) return nullptr;
  return t;
}

std::unique_ptr<ChatTemplate> ChatTemplate::from_source(const std::string& source, const std::string& bos,
                                                        const std::string& eos, Error* err) {
  backend_init();
  std::unique_ptr<ChatTemplate> t(new ChatTemplate());
  t->impl_ = std::make_unique<Impl>();
  try {
    t->impl_->tmpls = common_chat_templates_init(nullptr, source.empty() ? "chatml" : source, bos, eos);
  } catch (const std::exception& e) {
    *err = Error(ErrorKind::internal, std::string("invalid chat template: ") + e.what());
    return nullptr;
  }
  if (!t->impl_->tmpls || !t->init_caps(err)) return nullptr;
  return t;
}

std::unique_ptr<ChatTemplate> ChatTemplate::from_gguf(const std::string& path, Error* err) {
  gguf_init_params gp = {/*no_alloc=*/true, /*ctx=*/nullptr};
  gguf_context* g = gguf_init_from_file(path.c_str(), gp);
  if (!g) {
    *err = Error(ErrorKind::io, "cannot read GGUF metadata of " + path);
    return nullptr;
  }
  auto str = [&](const char* key) {
    int64_t k = gguf_find_key(g, key);
    return k >= 0 && gguf_get_kv_type(g, k) == GGUF_TYPE_STRING ? std::string(gguf_get_val_str(g, k)) : std::string();
  };
  auto token = [&](const char* id_key) {
    int64_t k = gguf_find_key(g, id_key), toks = gguf_find_key(g, "tokenizer.ggml.tokens");
    if (k < 0 || toks < 0 || gguf_get_kv_type(g, k) != GGUF_TYPE_UINT32) return std::string();
    uint32_t id = gguf_get_val_u32(g, k);
    return id < gguf_get_arr_n(g, toks) ? std::string(gguf_get_arr_str(g, toks, id)) : std::string();
  };
  const std::string source = str("tokenizer.chat_template"), bos = token("tokenizer.ggml.bos_token_id"),
                    eos = token("tokenizer.ggml.eos_token_id");
  gguf_free(g);
  return from_source(source, bos, eos, err);
}

ChatTemplate::~ChatTemplate() = default;

// llama.cpp's analysis of the template source, and one trial render for thinking.
bool ChatTemplate::init_caps(Error* err) {
  try {
    auto caps = common_chat_templates_get_caps(impl_->tmpls.get());
    auto has = [&](const char* k) {
      auto it = caps.find(k);
      return it != caps.end() && it->second;
    };
    caps_.tools = has("supports_tools");
    caps_.tool_calls = has("supports_tool_calls");
    caps_.parallel_tool_calls = has("supports_parallel_tool_calls");
    caps_.reasoning_effort = has("supports_reasoning_effort");
    caps_.thinking = common_chat_templates_support_enable_thinking(impl_->tmpls.get());
  } catch (const std::exception& e) {
    *err = Error(ErrorKind::internal, std::string("invalid chat template: ") + e.what());
    return false;
  }
  return true;
}

bool ChatTemplate::apply(const std::vector<ChatMessage>& messages, bool add_generation_prompt, std::string* prompt,
                         Error* err, std::vector<TextSpan>* text_spans) const {
  common_chat_templates_inputs in;
  in.messages = to_common(messages);
  std::vector<IsolatedText> isolated;
  if (text_spans) isolated = isolate_contents(impl_->vocab, &in.messages);
  in.add_generation_prompt = add_generation_prompt;
  in.use_jinja = true;
  try {
    common_chat_params p = common_chat_templates_apply(impl_->tmpls.get(), in);
    *prompt = std::move(p.prompt);
    if (text_spans) *text_spans = restore_isolated_text(prompt, isolated);
    stops_ = std::move(p.additional_stops);
  } catch (const std::exception& e) {
    *err = Error(ErrorKind::bad_request, std::string("chat template failed: ") + e.what());
    return false;
  }
  return true;
}

bool ChatTemplate::render(const std::vector<ChatMessage>& messages, const ChatOptions& o, ChatPrompt* out,
                          Error* err) const {
  const bool want_tools = !o.tools.empty() && o.tool_choice != ToolChoice::none;
  if (want_tools && !caps_.tools)
    return fail(err, ErrorKind::unsupported, "the model's chat template does not support tools");
  common_chat_templates_inputs in;
  in.messages = to_common(messages);
  const std::vector<IsolatedText> isolated = isolate_contents(impl_->vocab, &in.messages);
  in.add_generation_prompt = o.add_generation_prompt;
  in.use_jinja = true;
  for (const auto& t : o.tools) in.tools.push_back({t.name, t.description, t.parameters});
  in.tool_choice = to_common(o.tool_choice);
  in.parallel_tool_calls = o.parallel_tool_calls && caps_.parallel_tool_calls;
  // Reasoning always comes back apart from the answer (llama-server's default).
  in.reasoning_format = COMMON_REASONING_FORMAT_DEEPSEEK;
  in.enable_thinking = o.thinking;
  if (!o.reasoning_effort.empty() && caps_.reasoning_effort)
    in.chat_template_kwargs["reasoning_effort"] = "\"" + o.reasoning_effort + "\"";
  auto fmt = std::make_shared<ChatFormat>();
  try {
    common_chat_params p = common_chat_templates_apply(impl_->tmpls.get(), in);
    out->prompt = std::move(p.prompt);
    out->text_spans = restore_isolated_text(&out->prompt, isolated);
    out->grammar = std::move(p.grammar);
    out->grammar_lazy = p.grammar_lazy;
    out->grammar_triggers.clear();
    for (const auto& t : p.grammar_triggers) out->grammar_triggers.push_back(from_common(t));
    out->generation_prompt = p.generation_prompt;
    out->preserved_tokens = std::move(p.preserved_tokens);
    out->stops = std::move(p.additional_stops);
    out->thinking = p.supports_thinking && o.thinking;
    out->thinking_start = p.thinking_start_tag;
    out->thinking_end = p.thinking_end_tags;
    fmt->params = common_chat_parser_params(p);
    fmt->params.reasoning_format = in.reasoning_format;
    fmt->params.parse_tool_calls = want_tools;
    if (!p.parser.empty()) fmt->params.parser.load(p.parser);
    fmt->thinking_template = p.supports_thinking;
  } catch (const std::exception& e) {
    *err = Error(ErrorKind::bad_request, std::string("chat template failed: ") + e.what());
    return false;
  }
  out->format = std::move(fmt);
  return true;
}

void ChatPrompt::configure(Request* r) const {
  r->prompt = prompt;
  r->text_spans = text_spans;
  SamplingParams& s = r->sampling;
  if (s.grammar.empty() && !grammar.empty()) {
    s.grammar = grammar;
    s.grammar_lazy = grammar_lazy;
    s.grammar_triggers = grammar_triggers;
    s.grammar_prefix = generation_prompt;
    s.thinking_start = thinking_start;
    s.thinking_end = thinking_end;
  }
  r->preserved_tokens = preserved_tokens;
  for (const auto& stop : stops) r->stop.push_back(stop);
}

std::string ChatTemplate::source() const { return common_chat_templates_source(impl_->tmpls.get()); }

}  // namespace owlet::llm
