#include "answer/route_refiner.h"

#include <cctype>
#include <chrono>
#include <cstdio>

#include "answer/prompt_parts.h"
#include "llm/chat_template.h"
#include "llm/engine.h"
#include "llm/model_manager.h"

namespace owlet::answer {
namespace {

constexpr size_t kMaxAskBytes = 600;  // the label needs the request, not a whole pasted document

std::string clipped(const std::string& s, size_t max) {
  if (s.size() <= max) return s;
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut);
}

}  // namespace

const char* route_refiner_instructions() {
  return "You route messages for a search engine. Reply with exactly one letter.\n"
         "N: the message needs no facts from outside itself: greetings, chit-chat, creative writing, brainstorming, "
         "advice, code, maths, translation, or work on text the user supplied.\n"
         "S: it asks for a settled fact whose answer never changes (history, science, definitions, past events).\n"
         "C: it asks for a fact that changes over the years (office holders, records, ages, populations, team "
         "members, latest versions).\n"
         "F: it asks for a fact that changes within a year or faster (news, prices, weather, scores, recent or "
         "upcoming events).";
}

bool refine_with_model(llm::ModelHandle& handle, std::string_view prompt, PromptClass* pc, RefineOutcome* out,
                       Error* err) {
  const auto t0 = std::chrono::steady_clock::now();
  Error terr;
  auto tmpl = llm::ChatTemplate::create(handle.model(), "", &terr);
  std::vector<llm::ChatMessage> msgs{{"system", route_refiner_instructions()},
                                     {"user", clipped(split_prompt(prompt).ask, kMaxAskBytes)}};
  llm::Request req;
  if (!tmpl || !tmpl->apply(msgs, true, &req.prompt, &terr)) {
    if (err) *err = terr.with_prefix("router model: chat template: ");
    return false;
  }
  req.sampling.temperature = 0;
  req.sampling.repeat_penalty = 1.0f;
  req.num_predict = 2;  // a leading space or quote may take a token of its own
  const llm::Completion c = handle.engine().generate(std::move(req));
  out->ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  out->prompt_tokens = c.n_prompt;
  out->cached_tokens = c.n_prompt_cached;
  out->prefill_ms = c.prompt_ms;
  out->generate_ms = c.generate_ms;
  if (!c.ok) {
    if (err) *err = c.error.with_prefix("router model: ");
    return false;
  }
  // The first letter of the reply. No grammar constrains it: llama.cpp's grammar
  // sampler checks every vocabulary entry per token, which costs more than the
  // prompt; an instruction-tuned model answers with the letter, and anything else
  // leaves the classifier's decision in place.
  const size_t at = c.text.find_first_not_of(" \t\n\r*\"'`(");
  out->label = at == std::string::npos ? 0 : static_cast<char>(std::toupper(static_cast<unsigned char>(c.text[at])));
  switch (out->label) {
    case 'N': pc->retrieval = false; pc->freshness = Freshness::never; break;
    case 'S': pc->retrieval = true; pc->freshness = Freshness::never; break;
    case 'C': pc->retrieval = true; pc->freshness = Freshness::slow; break;
    case 'F': pc->retrieval = true; pc->freshness = Freshness::fast; break;
    default: return fail(err, ErrorKind::parse, "router model: no label in its reply");
  }
  pc->time_sensitive = pc->time_sensitive || pc->freshness == Freshness::fast;
  pc->decided_by = "model";
  char buf[160];
  std::snprintf(buf, sizeof buf, "router model: '%c' (%s) for an uncertain classifier decision, %.1f ms", out->label,
                !pc->retrieval ? "no retrieval" : to_string(pc->freshness), out->ms);
  pc->reasons.push_back(buf);
  return true;
}

}  // namespace owlet::answer
