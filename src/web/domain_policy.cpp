#include "web/domain_policy.h"
#include "common/strings.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <ctime>

namespace owlet::web {

bool domain_matches(std::string_view host, std::string_view domain) {
  while (!domain.empty() && domain.front() == '.') domain.remove_prefix(1);
  if (domain.empty() || host.size() < domain.size()) return false;
  std::string_view tail = host.substr(host.size() - domain.size());
  if (!iequals(tail, domain)) return false;
  return host.size() == domain.size() || host[host.size() - domain.size() - 1] == '.';
}

Error check_domain(std::string_view host, const DomainPolicy& policy) {
  for (const auto& d : policy.deny)
    if (domain_matches(host, d)) return {ErrorKind::blocked_domain, std::string(host) + " is on the deny list (" + d + ")"};
  if (policy.allow.empty()) return {};
  for (const auto& d : policy.allow)
    if (domain_matches(host, d)) return {};
  return {ErrorKind::blocked_domain, std::string(host) + " is not on the domain allow list"};
}

RateLimiter::Clock::time_point RateLimiter::reserve(const std::string& host, Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  HostState& s = hosts_[host];
  Clock::time_point start = std::max({now, s.next_slot, s.blocked_until});
  if (rps_ > 0) s.next_slot = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / rps_));
  return start;
}

void RateLimiter::back_off(const std::string& host, Clock::time_point until) {
  std::lock_guard<std::mutex> lock(mu_);
  HostState& s = hosts_[host];
  s.blocked_until = std::max(s.blocked_until, until);
}

RateLimiter::Clock::time_point RateLimiter::blocked_until(const std::string& host) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = hosts_.find(host);
  return it == hosts_.end() ? Clock::time_point{} : it->second.blocked_until;
}

std::chrono::milliseconds parse_retry_after(std::string_view value) {
  std::string v(value);
  v.erase(0, v.find_first_not_of(" \t"));
  v.erase(v.find_last_not_of(" \t\r\n") + 1);
  if (v.empty()) return std::chrono::milliseconds(-1);
  if (std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); })) {
    if (v.size() > 9) return std::chrono::milliseconds(-1);
    return std::chrono::seconds(std::stol(v));
  }
  time_t when = curl_getdate(v.c_str(), nullptr);
  if (when < 0) return std::chrono::milliseconds(-1);
  time_t now = std::time(nullptr);
  return std::chrono::seconds(when > now ? when - now : 0);
}

}  // namespace owlet::web
