// Shared helpers of the answer evals: flags and JSONL reading.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace owlet::answer::eval {

// Value of `--name VALUE` in argv, or `fallback`.
std::string flag(int argc, char** argv, const std::string& name, const std::string& fallback);
bool has_flag(int argc, char** argv, const std::string& name);

// One JSON object per '\n'-separated line; false with a message on stderr when unreadable.
bool read_jsonl(const std::string& path, std::vector<nlohmann::json>* rows);

}  // namespace owlet::answer::eval
