// Binds config keys to command-line flags: each flag is named after its key
// (top_k → --top-k), carries the key's help and default, and its value goes
// through config_set like every other layer.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <utility>
#include <vector>

namespace owlet::app {

struct FlagValues {
  std::vector<std::pair<std::string, std::string>> values;  // key → text, in command-line order
  std::string config_path;
};

// Adds --config and one flag per key in `keys`.
void add_config_flags(CLI::App* cmd, const std::vector<std::string>& keys, FlagValues* out);

}  // namespace owlet::app
