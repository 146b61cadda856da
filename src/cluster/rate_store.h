// Shared per-host pacing and back-off on Redis (web/shared_limits.h): atomic
// counters with expiry.
//
// Pacing is a fixed window: time is cut into windows of max(1 s, 1/rate) and a
// window admits rate x its length requests across the cluster (at least one).
// A request books the first window with room (INCR, then PEXPIRE so old windows
// vanish by themselves); its slot is the later of that window's start and the
// earliest time it asked for. Back-off is one key per host holding the end time
// in unix milliseconds, expiring then; a shorter back-off never replaces a longer.
#pragma once

#include <memory>

#include "cluster/redis_link.h"
#include "web/shared_limits.h"

namespace owlet::cluster {

class RedisLimits : public web::SharedLimits {
 public:
  explicit RedisLimits(std::shared_ptr<RedisLink> link) : link_(std::move(link)) {}
  bool reserve(const std::string& host, double per_second, TimePoint earliest, TimePoint latest, TimePoint* slot,
               Error* err) override;
  void back_off(const std::string& host, TimePoint until) override;
  TimePoint blocked_until(const std::string& host) override;

 private:
  std::shared_ptr<RedisLink> link_;
};

}  // namespace owlet::cluster
