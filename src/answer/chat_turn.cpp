#include "answer/chat_turn.h"

#include <chrono>

#include "llm/model_manager.h"

namespace owlet::answer {

bool run_turn(llm::ModelHandle& model, const std::string& model_name, TurnRequest req, const TurnCallbacks& cb,
              TurnResult* out, Error* err) {
  auto t0 = std::chrono::steady_clock::now();
  const llm::ChatTemplate* tmpl = model.get().get_template(err);
  if (!tmpl) return false;
  const std::string who = "\"" + model_name + "\"";
  if (req.think.value_or(false) && !tmpl->caps().thinking)
    return fail(err, ErrorKind::unsupported, who + " does not support thinking");
  if (!req.chat.tools.empty() && req.chat.tool_choice != llm::ToolChoice::none && !tmpl->caps().tools)
    return fail(err, ErrorKind::unsupported, who + " does not support tools");
  req.chat.thinking = req.think.value_or(true);
  llm::ChatPrompt prompt;
  if (!tmpl->render(req.messages, req.chat, &prompt, err)) return false;
  prompt.configure(&req.request);
  out->template_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (cb.on_prompt) cb.on_prompt(req.request.prompt);

  llm::ChatParser parser(prompt);
  bool stopped = false;
  auto hand_out = [&](const std::vector<llm::MessageDelta>& deltas) {
    for (const auto& d : deltas) {
      if (stopped) break;
      if (!d.reasoning.empty() && cb.on_reasoning && !cb.on_reasoning(d.reasoning)) stopped = true;
      if (!d.content.empty() && cb.on_content && !cb.on_content(d.content)) stopped = true;
    }
    return !stopped;
  };
  if (req.wait_for) {
    auto t_wait = std::chrono::steady_clock::now();
    req.wait_for->wait();
    out->waited_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t_wait).count();
  }
  auto job = model.engine().submit(std::move(req.request),
                                   [&](std::string_view piece) { return hand_out(parser.push(piece)); });
  out->completion = job->wait();
  const llm::Completion& c = out->completion;
  if (!c.ok && c.finish != llm::FinishReason::cancelled) return fail(err, c.error.kind, c.error.message);
  if (c.ok && !stopped) hand_out(parser.finish());
  else parser.finish();
  out->message = parser.message();
  out->stopped = stopped;
  return true;
}

}  // namespace owlet::answer
