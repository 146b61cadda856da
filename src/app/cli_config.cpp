#include "app/cli_config.h"

#include "config/config.h"

namespace owlet::app {

void add_config_flags(CLI::App* cmd, const std::vector<std::string>& keys, FlagValues* out) {
  cmd->add_option("--config", out->config_path,
                  "YAML config file (default: $OWLET_CONFIG, else ~/.config/owlet/config.yml if present)");
  for (const auto& key : keys) {
    const ConfigKey* doc = nullptr;
    for (const auto& k : config_keys())
      if (k.name == key) doc = &k;
    if (!doc) continue;
    std::string flag = "--" + key;
    for (auto& c : flag)
      if (c == '_') c = '-';
    std::string env = "OWLET_" + key;
    for (auto& c : env) c = static_cast<char>(toupper(c));
    std::string help = doc->help + " [" + doc->type + ", default " +
                       (doc->default_value.empty() ? "unset" : doc->default_value) + ", env " + env + "]";
    std::string names = flag;
    if (key == "model") names = "-m," + flag;
    if (key == "num_predict") names = "-n," + flag;
    if (key == "ctx_size") names = "-c," + flag;
    if (key == "threads") names = "-t," + flag;
    cmd->add_option_function<std::string>(
           names, [out, key](const std::string& v) { out->values.emplace_back(key, v); }, help)
        ->type_name(doc->type == "string" ? "TEXT" : doc->type == "int" ? "INT" : doc->type == "bool" ? "BOOL" : "NUM");
  }
}

}  // namespace owlet::app
