#include "llm/backend.h"

#include <ggml-backend.h>
#include <llama.h>
#include <log.h>  // llama.cpp's common library's console log

#include <mutex>

#include "obs/log.h"

namespace owlet::llm {
namespace {

thread_local std::string t_errors;
thread_local bool t_last_was_error = false;

void on_llama_log(ggml_log_level level, const char* text, void*) {
  // CONT lines continue whatever the previous line was.
  bool is_error = level == GGML_LOG_LEVEL_ERROR || (level == GGML_LOG_LEVEL_CONT && t_last_was_error);
  if (level != GGML_LOG_LEVEL_CONT) t_last_was_error = level == GGML_LOG_LEVEL_ERROR;
  if (is_error && t_errors.size() < 8192) t_errors += text;
  std::string line(text);
  while (!line.empty() && line.back() == '\n') line.pop_back();
  if (line.empty()) return;
  obs::log(level == GGML_LOG_LEVEL_ERROR ? obs::LogLevel::debug : obs::LogLevel::debug, "llama: %s", line.c_str());
}

}  // namespace

void backend_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    llama_log_set(on_llama_log, nullptr);
    // The chat library warns on stderr about templates and output it cannot
    // parse; owlet handles both (errors with kinds, a lenient re-parse).
    common_log_set_verbosity_thold(-1);
    llama_backend_init();
  });
}

std::string take_llama_errors() {
  std::string out;
  out.swap(t_errors);
  t_last_was_error = false;
  return out;
}

std::vector<AcceleratorMemory> accelerator_memory() {
  backend_init();
  std::vector<AcceleratorMemory> out;
  for (size_t i = 0; i < ggml_backend_dev_count(); ++i) {
    ggml_backend_dev_t d = ggml_backend_dev_get(i);
    const auto type = ggml_backend_dev_type(d);
    if (type != GGML_BACKEND_DEVICE_TYPE_GPU && type != GGML_BACKEND_DEVICE_TYPE_IGPU) continue;
    size_t free = 0, total = 0;
    ggml_backend_dev_memory(d, &free, &total);
    out.push_back({ggml_backend_dev_name(d), ggml_backend_dev_description(d), type == GGML_BACKEND_DEVICE_TYPE_IGPU,
                   free, total});
  }
  return out;
}

std::string system_info() {
  backend_init();
  return llama_print_system_info();
}

}  // namespace owlet::llm
