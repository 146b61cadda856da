// A model pull as the CLI shows it, shared by `owlet pull` and the first run
// (`owlet ask` / `owlet serve` fetching default_model): on a terminal one bar
// redrawn in place with size, speed and ETA; otherwise a plain line every two
// seconds (and at the end), so logs and pipes stay readable. Ctrl-C stops the
// pull and keeps the partial download for a resume.
#pragma once

#include <string>

#include "models/pull.h"

namespace owlet::app {

struct PullDisplay {
  bool quiet = false;  // no progress output at all
  bool tty = false;    // redraw a bar in place (stderr is a terminal)
};

// Pulls `name` with o's options plus the display's status and progress
// callbacks; SIGINT cancels (result.cancelled) while it runs.
models::PullResult pull_with_progress(const std::string& name, models::PullOptions o, const PullDisplay& display);

}  // namespace owlet::app
