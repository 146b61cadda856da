#include "server/model_name_policy.h"

#include <algorithm>

#include "common/strings.h"
#include "models/model_ref.h"

namespace owlet::server {
namespace {

bool registry_allowed(const std::string& host, const ModelNamePolicy& p) {
  return std::any_of(p.registries.begin(), p.registries.end(), [&](const std::string& r) { return iequals(r, host); });
}

}  // namespace

const std::vector<std::string>& default_registries() {
  static const std::vector<std::string> k = {models::kOllamaDefaultHost, models::kOllamaV2Host, "huggingface.co",
                                             "hf.co"};
  return k;
}

bool check_model_name(const std::string& name, const ModelNamePolicy& p, Error* err) {
  if (std::find(p.configured.begin(), p.configured.end(), name) != p.configured.end()) return true;
  models::ModelRef ref;
  if (!models::parse_model_ref(name, &ref, err, models::PathRule::syntax)) return false;
  switch (ref.kind) {
    case models::ModelRef::Kind::path:
      return fail(err, ErrorKind::forbidden,
                  "model '" + name + "': file paths are not accepted over the API; use a model name from /api/tags");
    case models::ModelRef::Kind::hf:
      if (!registry_allowed("huggingface.co", p))
        return fail(err, ErrorKind::forbidden, "model '" + name + "': Hugging Face is not an allowed registry");
      return true;
    case models::ModelRef::Kind::ollama:
      if (!ref.ollama.default_host() && !registry_allowed(ref.ollama.host, p))
        return fail(err, ErrorKind::forbidden,
                    "model '" + name + "': registry '" + ref.ollama.host +
                        "' is not an allowed registry (config allowed_registries)");
      if (ref.ollama.default_host() && !registry_allowed(models::kOllamaDefaultHost, p) &&
          !registry_allowed(models::kOllamaV2Host, p))
        return fail(err, ErrorKind::forbidden, "model '" + name + "': the Ollama registry is not an allowed registry");
      return true;
  }
  return true;
}

bool check_pull_request(const std::string& name, bool insecure, const ModelNamePolicy& p, Error* err) {
  if (!check_model_name(name, p, err)) return false;
  if (insecure && !p.allow_insecure)
    return fail(err, ErrorKind::forbidden,
                "insecure pulls (plain http, no certificate checks) are off on this server (config allow_insecure_registries)");
  return true;
}

}  // namespace owlet::server
