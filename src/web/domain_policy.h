// Source governance: which domains may be fetched, and how often.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "web/error.h"

namespace owlet::web {

struct DomainPolicy {
  // "example.com" matches example.com and every subdomain. Deny wins over allow;
  // a non-empty allow list admits only the domains on it.
  std::vector<std::string> allow;
  std::vector<std::string> deny;
  double requests_per_second = 0;  // per host; 0 = unlimited
  // Longest back-off a server may impose via Retry-After; longer values are capped.
  std::chrono::milliseconds max_backoff{300000};
  // Back-off when a 429/503 carries no (valid) Retry-After.
  std::chrono::milliseconds default_backoff{1000};
  // Retries of a 429/503 within the same request deadline.
  int max_retries = 1;
};

// True when `host` is `domain` or one of its subdomains (case-insensitive).
bool domain_matches(std::string_view host, std::string_view domain);

// blocked_domain error when the host is denied or not allowed.
Error check_domain(std::string_view host, const DomainPolicy& policy);

// Per-host pacing and back-off state, shared by all requests of a client.
class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RateLimiter(double requests_per_second) : rps_(requests_per_second) {}

  // Books the next slot for `host` and returns when the request may start.
  Clock::time_point reserve(const std::string& host, Clock::time_point now);
  // Records a server-requested back-off (429/503 + Retry-After).
  void back_off(const std::string& host, Clock::time_point until);
  Clock::time_point blocked_until(const std::string& host);

 private:
  struct HostState {
    Clock::time_point next_slot{};
    Clock::time_point blocked_until{};
  };
  double rps_;
  std::mutex mu_;
  std::unordered_map<std::string, HostState> hosts_;
};

// Parses a Retry-After value (delta-seconds or HTTP-date) into a duration from now;
// negative when absent or invalid.
std::chrono::milliseconds parse_retry_after(std::string_view value);

}  // namespace owlet::web
