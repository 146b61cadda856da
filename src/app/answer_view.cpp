#include "app/answer_view.h"

#include <unistd.h>

#include "llm/engine.h"

namespace owlet::app {

ThinkingView::ThinkingView(bool show) : show_(show), out_(isatty(STDOUT_FILENO) ? stdout : stderr) {
  dim_ = isatty(fileno(out_)) != 0;
}

bool ThinkingView::piece(std::string_view t) {
  if (!show_) return true;
  if (!open_ && dim_) fputs("\x1b[2m", out_);
  open_ = true;
  fwrite(t.data(), 1, t.size(), out_);
  fflush(out_);
  return true;
}

void ThinkingView::close() {
  if (!open_) return;
  fputs(dim_ ? "\x1b[0m\n\n" : "\n\n", out_);
  fflush(out_);
  open_ = false;
}

bool parse_think(const std::string& v, answer::AnswerRequest* req) {
  if (v.empty()) return true;
  if (v == "true" || v == "1" || v == "on") req->think = true;
  else if (v == "false" || v == "0" || v == "off") req->think = false;
  else if (v == "low" || v == "medium" || v == "high") {
    req->think = true;
    req->reasoning_effort = v;
  } else {
    return false;
  }
  return true;
}

std::string route_summary(const answer::AnswerResult& r) {
  std::string line = "[route] " + r.served_by + " (" + r.engine + ")";
  if (!r.decision.summary.empty()) line += ": " + r.decision.summary;
  std::string reasons;
  for (const auto& why : r.decision.reasons) reasons += (reasons.empty() ? "" : "; ") + why;
  if (!reasons.empty()) line += (r.decision.summary.empty() ? ": " : " | why: ") + reasons;
  const answer::StageTimes& t = r.times;
  char buf[320];
  snprintf(buf, sizeof buf,
           " | cache %.1f ms, route %.1f, search %.1f, fetch %.1f, extract %.1f, rank %.1f, prompt %.1f, prefill %.1f, "
           "generate %.1f, total %.1f ms",
           t.cache, t.route, t.search, t.fetch, t.extract, t.rank, t.prompt, t.prefill, t.generate, t.total);
  return line + buf;
}


void print_answer_tail(const answer::AnswerResult& r, bool quiet) {
  fputc('\n', stdout);
  if (!r.note.empty()) printf("\n%s\n", r.note.c_str());
  if (!r.sources.empty()) {
    printf("\nSources:\n");
    for (const auto& s : r.sources) {
      std::string meta = s.site;
      if (!s.published.empty()) meta += (meta.empty() ? "" : ", ") + s.published;
      printf("[%d] %s%s%s\n    %s\n", s.n, s.title.empty() ? s.url.c_str() : s.title.c_str(),
             meta.empty() ? "" : " — ", meta.c_str(), s.url.c_str());
    }
  }
  fflush(stdout);
  if (quiet) return;
  fprintf(stderr, "%s\n", route_summary(r).c_str());
  if (r.engine == "llm" && !r.cache_hit) {
    double pp = r.times.prefill > 0 ? r.prompt_tokens * 1000.0 / r.times.prefill : 0;
    double tg = r.times.generate > 0 ? r.generated_tokens * 1000.0 / r.times.generate : 0;
    fprintf(stderr, "[%s] prompt %d tokens (%.1f tok/s), generated %d tokens in %.2f s (%.1f tok/s), finish: %s\n",
            r.model.c_str(), r.prompt_tokens, pp, r.generated_tokens, r.times.generate / 1000.0, tg,
            llm::finish_reason_name(r.finish));
  }
}

}  // namespace owlet::app
