#include "common/strings.h"

#include <cstdio>
#include <ctime>

namespace owlet {

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

bool iends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && iequals(s.substr(s.size() - suffix.size()), suffix);
}

std::string_view trim(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; };
  size_t b = 0, e = s.size();
  while (b < e && space(s[b])) ++b;
  while (e > b && space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

std::string collapse_whitespace(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t p = s.find(sep, start);
    out.emplace_back(s.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start));
    if (p == std::string_view::npos) break;
    start = p + 1;
  }
  return out;
}

std::string format_time(int64_t unix_seconds, const char* strftime_format, bool utc) {
  time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm {};
  if (utc) gmtime_r(&t, &tm);
  else localtime_r(&t, &tm);
  char buf[64];
  const size_t n = strftime(buf, sizeof buf, strftime_format, &tm);
  return std::string(buf, n);
}

std::string human_bytes(double bytes, int base) {
  static const char* si[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  static const char* iec[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  const char** units = base == 1024 ? iec : si;
  const double step = base == 1024 ? 1024.0 : 1000.0;
  int u = 0;
  double v = bytes < 0 ? 0 : bytes;
  while (v >= step && u < 5) {
    v /= step;
    ++u;
  }
  char buf[32];
  if (u == 0) snprintf(buf, sizeof buf, "%.0f %s", v, units[u]);
  else snprintf(buf, sizeof buf, v < 10 ? "%.1f %s" : "%.0f %s", v, units[u]);
  return buf;
}

}  // namespace owlet
