// Per-host pacing and back-off shared by several HTTP clients (owlet replicas),
// e.g. on Redis: a provider's rate limit and its Retry-After hold for the whole
// cluster, not per replica. Times are wall-clock (system_clock), because the
// clients may run on different machines.
//
// Every call is best effort: when the shared state cannot be reached the call
// fails with `unavailable` and the client paces by its own RateLimiter alone.
#pragma once

#include <chrono>
#include <string>

#include "common/error.h"

namespace owlet::web {

class SharedLimits {
 public:
  using TimePoint = std::chrono::system_clock::time_point;
  virtual ~SharedLimits() = default;

  // Books the first slot for `host` at or after `earliest` and no later than
  // `latest`, at `per_second` requests per second across all clients. True with
  // *slot set; false with rate_limited when no slot is free by `latest`, or with
  // unavailable when the shared state cannot be reached.
  virtual bool reserve(const std::string& host, double per_second, TimePoint earliest, TimePoint latest,
                       TimePoint* slot, Error* err) = 0;
  // A server asked us (any client) to back off from `host` until `until`.
  virtual void back_off(const std::string& host, TimePoint until) = 0;
  // When the shared back-off for `host` ends (a past time point = none).
  virtual TimePoint blocked_until(const std::string& host) = 0;
};

}  // namespace owlet::web
