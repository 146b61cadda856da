#include "llm/capabilities.h"

#include "llm/chat_template.h"

namespace owlet::llm {

std::vector<std::string> model_capabilities(const std::string& architecture, const std::string& gguf_path,
                                            const std::string& template_source) {
  if (architecture == "bert" || architecture == "nomic-bert") return {"embedding"};
  std::vector<std::string> caps = {"completion"};
  Error err;
  auto t = template_source.empty() ? ChatTemplate::from_gguf(gguf_path, &err)
                                   : ChatTemplate::from_source(template_source, "", "", &err);
  if (t) {
    if (t->caps().tools) caps.push_back("tools");
    if (t->caps().thinking) caps.push_back("thinking");
  }
  return caps;
}

}  // namespace owlet::llm
