// Plain (ungrounded) chat generations for the Ollama and OpenAI APIs: started
// through the ChatService, tracked as running work, and either streamed through
// an API's formatter or waited for.
#include "server/server_context.h"

namespace owlet::server {

void stream_generation(Server::Impl& s, Res& res, const ChatRequest& req, const char* content_type, bool openai,
                       GenerationFormat fmt) {
  auto stream = s.begin_work();
  auto run = std::make_shared<ChatRun>();
  // The parser is in place before the job starts (ChatService::start).
  auto on_text = [stream, run, delta = fmt.delta](std::string_view piece) {
    for (const auto& d : run->parser->push(piece)) stream->push(delta(d));
    return !stream->cancelled();
  };
  // The job holds these closures, and through them the stream whose cancel
  // flag it polls, until it has ended.
  auto on_done = [&s, stream, run, delta = fmt.delta, done = fmt.done](const llm::Completion& c) {
    if (c.ok) record_completion(s.metrics, "stream", c);
    if (c.ok && run->parser)
      for (const auto& d : run->parser->finish()) stream->push(delta(d));
    stream->push(done(c, *run));
    stream->finish();
    s.end_work(stream);
  };
  s.chat.start(req, stream->cancel_flag(), on_text, on_done, run.get());
  if (!run->ok()) {
    s.end_work(stream);
    return openai ? send_openai_error(res, run->error) : send_error(res, run->error);
  }
  stream_chunks(res, stream, content_type);
}

bool run_generation(Server::Impl& s, const ChatRequest& req, ChatRun* run, llm::Completion* out) {
  auto stream = s.begin_work();  // for the shutdown's bookkeeping and its cancel flag
  s.chat.start(req, stream->cancel_flag(), nullptr, nullptr, run);
  if (!run->ok()) {
    s.end_work(stream);
    return false;
  }
  *out = run->job->wait();
  run->parser->push(out->text);
  run->parser->finish();
  s.end_work(stream);
  if (out->ok) record_completion(s.metrics, "unary", *out);
  return true;
}

}  // namespace owlet::server
