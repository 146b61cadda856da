#include "obs/log.h"

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <mutex>

namespace owlet::obs {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::warn)};
std::mutex g_mu;
const char* kNames[] = {"error", "warn", "info", "debug"};
}  // namespace

void set_log_level(LogLevel level) { g_level = static_cast<int>(level); }
LogLevel log_level() { return static_cast<LogLevel>(g_level.load()); }

bool parse_log_level(std::string_view name, LogLevel* out) {
  for (int i = 0; i < 4; ++i)
    if (name == kNames[i]) {
      *out = static_cast<LogLevel>(i);
      return true;
    }
  return false;
}

void log(LogLevel level, const char* fmt, ...) {
  if (static_cast<int>(level) > g_level.load()) return;
  char buf[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  std::lock_guard<std::mutex> lock(g_mu);
  fprintf(stderr, "owlet %s: %s\n", kNames[static_cast<int>(level)], buf);
}

}  // namespace owlet::obs
