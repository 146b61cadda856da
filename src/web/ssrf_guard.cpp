#include "web/ssrf_guard.h"
#include "common/strings.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>

#include "web/url.h"

namespace owlet::web {
namespace {

// An address normalized to 16 bytes (IPv4 stored as ::ffff:a.b.c.d).
struct Ip {
  std::array<unsigned char, 16> b{};
  bool v4 = false;
};

struct Cidr {
  Ip base;
  int bits = 0;
};

Ip from_v4(const unsigned char* p) {
  Ip ip;
  ip.v4 = true;
  ip.b[10] = ip.b[11] = 0xff;
  std::memcpy(ip.b.data() + 12, p, 4);
  return ip;
}

std::optional<Ip> parse_ip(std::string_view text) {
  std::string s(text);
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  if (auto pct = s.find('%'); pct != std::string::npos) s.resize(pct);  // zone id
  unsigned char buf[16];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) return from_v4(buf);
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1) {
    Ip ip;
    std::memcpy(ip.b.data(), buf, 16);
    return ip;
  }
  return std::nullopt;
}

bool in_prefix(const Ip& ip, const Ip& base, int bits) {
  for (int i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    unsigned char mask = bits >= 8 ? 0xff : static_cast<unsigned char>(0xff << (8 - bits));
    if ((ip.b[i] & mask) != (base.b[i] & mask)) return false;
  }
  return true;
}

std::optional<Cidr> parse_cidr(std::string_view text) {
  std::string s(text);
  int bits = -1;
  if (auto slash = s.find('/'); slash != std::string::npos) {
    bits = std::atoi(s.c_str() + slash + 1);
    s.resize(slash);
  }
  auto ip = parse_ip(s);
  if (!ip) return std::nullopt;
  if (bits < 0) bits = ip->v4 ? 32 : 128;
  if (ip->v4) bits += 96;  // v4 lives in the last 32 bits of the mapped form
  if (bits > 128) return std::nullopt;
  return Cidr{*ip, bits};
}

struct BlockedRange {
  const char* cidr;
  const char* reason;
};

// Checked in order; more specific ranges first so the reason is precise.
constexpr BlockedRange kBlockedV4[] = {
    {"169.254.169.254/32", "cloud metadata"}, {"100.100.100.200/32", "cloud metadata"},
    {"0.0.0.0/8", "unspecified/this-network"}, {"10.0.0.0/8", "private (RFC 1918)"},
    {"100.64.0.0/10", "carrier-grade NAT"},    {"127.0.0.0/8", "loopback"},
    {"169.254.0.0/16", "link-local"},          {"172.16.0.0/12", "private (RFC 1918)"},
    {"192.0.0.0/24", "IETF protocol assignments"}, {"192.0.2.0/24", "documentation"},
    {"192.168.0.0/16", "private (RFC 1918)"},  {"198.18.0.0/15", "benchmarking"},
    {"198.51.100.0/24", "documentation"},      {"203.0.113.0/24", "documentation"},
    {"224.0.0.0/4", "multicast"},              {"240.0.0.0/4", "reserved/broadcast"},
};
constexpr BlockedRange kBlockedV6[] = {
    {"fd00:ec2::254/128", "cloud metadata"}, {"::/128", "unspecified"},      {"::1/128", "loopback"},
    {"fc00::/7", "unique local (private)"},  {"fe80::/10", "link-local"},    {"fec0::/10", "site-local"},
    {"ff00::/8", "multicast"},               {"2001:db8::/32", "documentation"}, {"100::/64", "discard"},
    {"::/96", "IPv4-compatible"},
};

bool allow_listed(const Ip& ip, const SsrfPolicy& policy) {
  for (const auto& c : policy.allow_cidrs) {
    auto cidr = parse_cidr(c);
    if (cidr && in_prefix(ip, cidr->base, cidr->bits)) return true;
  }
  return false;
}

SsrfVerdict classify(const Ip& ip, const SsrfPolicy& policy) {
  if (allow_listed(ip, policy)) return {};
  // Addresses that embed an IPv4 address are judged by that address, so
  // ::ffff:127.0.0.1, 64:ff9b::a00:1 (NAT64) and 2002:7f00:1:: (6to4) cannot sneak through.
  static const Ip kNat64 = *parse_ip("64:ff9b::");
  static const Ip k6to4 = *parse_ip("2002::");
  static const Ip kMapped = *parse_ip("::ffff:0:0");
  std::optional<Ip> embedded;
  if (!ip.v4 && in_prefix(ip, kMapped, 96)) embedded = from_v4(ip.b.data() + 12);
  if (!ip.v4 && in_prefix(ip, kNat64, 96)) embedded = from_v4(ip.b.data() + 12);
  if (!ip.v4 && in_prefix(ip, k6to4, 16)) embedded = from_v4(ip.b.data() + 2);
  if (ip.v4 || embedded) {
    const Ip& v4 = embedded ? *embedded : ip;
    if (embedded && allow_listed(v4, policy)) return {};
    for (const auto& r : kBlockedV4) {
      auto cidr = parse_cidr(r.cidr);
      if (in_prefix(v4, cidr->base, cidr->bits)) return {false, r.reason};
    }
    return {};
  }
  for (const auto& r : kBlockedV6) {
    auto cidr = parse_cidr(r.cidr);
    if (in_prefix(ip, cidr->base, cidr->bits)) return {false, r.reason};
  }
  return {};
}

}  // namespace

bool host_allow_listed(std::string_view host, const SsrfPolicy& policy) {
  std::string h = ascii_lower(host);
  return std::any_of(policy.allow_hosts.begin(), policy.allow_hosts.end(),
                     [&](const std::string& a) { return ascii_lower(a) == h; });
}

SsrfVerdict check_ip(std::string_view text, const SsrfPolicy& policy) {
  auto ip = parse_ip(text);
  if (!ip) return {false, "not an IP address"};
  return classify(*ip, policy);
}

SsrfVerdict check_sockaddr(const sockaddr* addr, const SsrfPolicy& policy) {
  if (addr == nullptr) return {false, "no address"};
  if (addr->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    return classify(from_v4(reinterpret_cast<const unsigned char*>(&in->sin_addr)), policy);
  }
  if (addr->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    Ip ip;
    std::memcpy(ip.b.data(), &in6->sin6_addr, 16);
    return classify(ip, policy);
  }
  return {false, "address family not allowed"};
}

std::string connect_refusal(std::string_view host, const sockaddr* addr, const SsrfPolicy& policy) {
  if (host_allow_listed(host, policy)) return "";
  SsrfVerdict v = check_sockaddr(addr, policy);
  if (v.allowed) return "";
  char buf[INET6_ADDRSTRLEN] = "?";
  if (addr && addr->sa_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(addr)->sin_addr, buf, sizeof buf);
  else if (addr && addr->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr, buf, sizeof buf);
  return "host " + std::string(host) + " resolves to " + buf + ", blocked: " + v.reason;
}

Error check_url_static(std::string_view url, const SsrfPolicy& policy) {
  UrlParse p = parse_url(url);
  if (!p.error.ok()) return p.error;
  if (host_allow_listed(p.url.host, policy)) return {};
  if (parse_ip(p.url.host)) {
    SsrfVerdict v = check_ip(p.url.host, policy);
    if (!v.allowed) return {ErrorKind::blocked_address, "address " + p.url.host + " is blocked: " + v.reason};
  }
  return {};
}

Error check_host_resolved(const std::string& host, const SsrfPolicy& policy) {
  if (host_allow_listed(host, policy)) return {};
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0) return {};
  Error err;
  for (addrinfo* a = res; a != nullptr && err.ok(); a = a->ai_next) {
    SsrfVerdict v = check_sockaddr(a->ai_addr, policy);
    if (!v.allowed) err = {ErrorKind::blocked_address, "host " + host + " resolves to a blocked address: " + v.reason};
  }
  freeaddrinfo(res);
  return err;
}

}  // namespace owlet::web
