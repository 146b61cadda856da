// Process-wide logging to stderr, filtered by level. Thread-safe.
// Log lines never carry secrets: callers pass no API keys or Authorization headers.
#pragma once

#include <string_view>

namespace owlet::obs {

enum class LogLevel { error = 0, warn = 1, info = 2, debug = 3 };

void set_log_level(LogLevel level);
LogLevel log_level();
// "error" | "warn" | "info" | "debug"; returns false for anything else.
bool parse_log_level(std::string_view name, LogLevel* out);

void log(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

}  // namespace owlet::obs
