// What a model can do, in Ollama's words (/api/show's "capabilities", `owlet
// show`): "embedding" for an embedding architecture, else "completion" plus
// "tools" and "thinking" where its chat template (the GGUF's, or a Modelfile's
// TEMPLATE) supports them. owlet serves no images and no fill-in-the-middle,
// so never "vision" or "insert".
#pragma once

#include <string>
#include <vector>

namespace owlet::llm {

// architecture: general.architecture; template_source: "" = the GGUF's own.
std::vector<std::string> model_capabilities(const std::string& architecture, const std::string& gguf_path,
                                            const std::string& template_source = "");

}  // namespace owlet::llm
