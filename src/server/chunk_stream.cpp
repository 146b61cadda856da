#include "server/chunk_stream.h"

#include <httplib.h>

#include <chrono>

namespace owlet::server {

void ChunkStream::push(std::string bytes) {
  if (bytes.empty()) return;
  {
    std::lock_guard<std::mutex> lk(mu_);
    chunks_.push_back(std::move(bytes));
  }
  cv_.notify_all();
}

void ChunkStream::finish() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    finished_ = true;
  }
  cv_.notify_all();
}

bool ChunkStream::next(std::string* out, int ms) {
  std::unique_lock<std::mutex> lk(mu_);
  cv_.wait_for(lk, std::chrono::milliseconds(ms), [&] { return finished_ || !chunks_.empty(); });
  out->clear();
  while (!chunks_.empty()) {
    *out += chunks_.front();
    chunks_.pop_front();
  }
  return finished_ && out->empty();
}

void ChunkStream::wait_finished() {
  std::unique_lock<std::mutex> lk(mu_);
  cv_.wait(lk, [&] { return finished_; });
}

void stream_chunks(httplib::Response& res, std::shared_ptr<ChunkStream> stream, const char* content_type) {
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
  res.set_chunked_content_provider(
      content_type,
      [stream](size_t, httplib::DataSink& sink) {
        std::string bytes;
        while (true) {
          const bool finished = stream->next(&bytes, 200);
          if (!bytes.empty()) {
            if (!sink.write(bytes.data(), bytes.size())) {
              stream->cancel();  // the client went away
              return false;
            }
          } else if (!finished && !sink.is_writable()) {
            stream->cancel();
            return false;
          }
          if (finished) break;
        }
        sink.done();
        return true;
      },
      [stream](bool success) {
        if (!success) stream->cancel();
      });
}

}  // namespace owlet::server
