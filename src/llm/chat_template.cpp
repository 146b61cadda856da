#include "llm/chat_template.h"

#include <chat.h>
#include <llama.h>

#include "llm/model.h"

namespace owlet::llm {

struct ChatTemplate::Impl {
  common_chat_templates_ptr tmpls;
  const llama_vocab* vocab = nullptr;
};

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
  return t;
}

ChatTemplate::~ChatTemplate() = default;

bool ChatTemplate::apply(const std::vector<ChatMessage>& messages, bool add_generation_prompt, std::string* prompt,
                         Error* err, std::vector<TextSpan>* text_spans) const {
  common_chat_templates_inputs in;
  for (const auto& m : messages) {
    common_chat_msg msg;
    msg.role = m.role;
    msg.content = m.content;
    msg.reasoning_content = m.reasoning;
    msg.tool_name = m.tool_name;
    msg.tool_call_id = m.tool_call_id;
    for (const auto& c : m.tool_calls) msg.tool_calls.push_back({c.name, c.arguments, c.id});
    in.messages.push_back(std::move(msg));
  }
  std::vector<IsolatedText> isolated;
  if (text_spans) {
    std::vector<std::string*> contents;
    for (auto& m : in.messages) contents.push_back(&m.content);
    isolated = isolate_control_text(impl_->vocab, contents);
  }
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

std::string ChatTemplate::source() const { return common_chat_templates_source(impl_->tmpls.get()); }

}  // namespace owlet::llm
