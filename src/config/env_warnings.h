// Environment variables owlet does not know: a typo in OWLET_TEMPERATURE
// would otherwise be ignored silently, where the same typo in YAML is an error.
#pragma once

#include <string>
#include <vector>

namespace owlet {

// One warning line per OWLET_* variable that is neither a config key nor one
// of owlet's other variables (OWLET_CONFIG, OWLET_MODELS, OWLET_API_KEY, the
// build's and tests'), naming the nearest key's variable: a typo such as
// OWLET_TEMPRATURE would otherwise be ignored silently.
std::vector<std::string> config_env_warnings(char** envp);

}  // namespace owlet
