// The first run: what `owlet ask` and `owlet serve` answer with when no model
// is configured. Like `ollama run`, they fetch one: `default_model` from the
// Ollama registry, with the same code and progress display as `owlet pull`
// (resumable, digest-checked), after one line saying so. When it cannot be had
// (offline, a registry error, a full disk, `--no-pull`), they still answer, with
// the extractive engine (the sources' own sentences), and say in one line that
// no model is loaded and how to get one. Only `engine: llm`, given explicitly,
// makes a missing model an error (exit 3).
#pragma once

#include <string>

#include "app/pull_progress.h"
#include "config/config.h"

namespace owlet::app {

struct FirstRunOptions {
  bool no_pull = false;  // --no-pull (auto_pull: false does the same)
  PullDisplay display;
};

enum class ModelSource {
  configured,  // `model` was set, or the engine is extractive: nothing to do
  store,       // default_model was already in a store
  pulled,      // default_model was pulled just now
  none,        // no model: answers are extractive (engine auto) or it is an error (engine llm)
};

struct FirstRun {
  ModelSource source = ModelSource::configured;
  std::string note;  // for ModelSource::none: the one line to print (no model loaded, how to get one)
};

// Fills cfg->model with default_model when it is in a store or could be pulled;
// otherwise leaves it empty, so answers that name no model are extractive (and
// with engine llm the caller stops). Prints the pull's line and progress on
// stderr; the caller prints out->note.
FirstRun prepare_model(Config* cfg, const FirstRunOptions& options);

// The pull options for default_model: the configured registry, used as written
// (an http:// mirror is the user's explicit choice).
models::PullOptions default_model_pull_options(const Config& cfg);

}  // namespace owlet::app
