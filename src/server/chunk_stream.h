// One running piece of work (a generation, a grounded answer, a pull) and the
// bytes it produces on its own thread for the HTTP thread that sends them.
// The stream owns the work's cancel flag: producers hold the stream (a
// shared_ptr) for as long as they may read the flag, so a client that goes
// away, or a shutdown, can cancel it without any pointer outliving its owner.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

namespace httplib {
class Response;
}

namespace owlet::server {

class ChunkStream {
 public:
  // Producer side.
  void push(std::string bytes);  // empty pushes are ignored
  void finish();                 // no more bytes; wakes the consumer
  // Either side.
  void cancel() { cancelled_ = true; }
  bool cancelled() const { return cancelled_; }
  // For APIs polled by the work itself (llm::Request::cancel, AnswerRequest::cancel, pull).
  const std::atomic<bool>* cancel_flag() const { return &cancelled_; }
  // Consumer side: waits up to ms for bytes or the end; moves pending bytes to
  // *out; true once finished and drained.
  bool next(std::string* out, int ms);
  // Waits until finish() (unary responses wait for the work without streaming it).
  void wait_finished();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> chunks_;
  bool finished_ = false;
  std::atomic<bool> cancelled_{false};
};


// Sends a stream as a chunked response: every streaming endpoint goes through
// here. A client that goes away (a failed write, or a closed socket while the
// work is silent) cancels the work.
void stream_chunks(httplib::Response& res, std::shared_ptr<ChunkStream> stream, const char* content_type);

}  // namespace owlet::server
