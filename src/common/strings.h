// String basics every module shares: ASCII case folding (safe for any byte,
// UTF-8 included), trimming, and human-readable sizes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace owlet {

// ASCII letters lowered; every other byte (UTF-8 sequences included) unchanged.
char ascii_lower(char c);
std::string ascii_lower(std::string_view s);
// Case-insensitive ASCII comparison (HTTP header names, schemes, hosts, file extensions).
bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view s, std::string_view prefix);
bool iends_with(std::string_view s, std::string_view suffix);

// Without leading and trailing ASCII white space (space, \t, \r, \n, \f, \v).
std::string_view trim(std::string_view s);
inline std::string trimmed(std::string_view s) { return std::string(trim(s)); }
// Runs of ASCII white space as one space, none at either end.
std::string collapse_whitespace(std::string_view s);
// Split on one character; empty pieces kept.
std::vector<std::string> split(std::string_view s, char sep);

// A unix time through strftime, in UTC or local time.
std::string format_time(int64_t unix_seconds, const char* strftime_format, bool utc = true);

// "1.5 GB" with base 1000 (SI: kB MB GB TB), "1.4 GiB" with base 1024 (IEC:
// KiB MiB GiB TiB); bytes below one unit print as "512 B".
std::string human_bytes(double bytes, int base = 1000);

}  // namespace owlet
