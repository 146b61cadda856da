// Exit codes of the CLI (also in README.md), and the one mapping from an
// error's kind to the code a command exits with.
#pragma once

#include "common/error.h"

namespace owlet::app {

enum ExitCode {
  kExitOk = 0,
  kExitError = 1,        // runtime failure: model would not load, generation failed, disk, network, no server
  kExitUsage = 2,        // bad input: unknown command, flags, config, an empty question, a model that is not there
                         // or cannot chat (an embedding model)
  kExitNoModel = 3,      // nothing to answer with: no model configured
  kExitInterrupted = 130 // Ctrl-C
};

// bad input of any kind → kExitUsage; cancelled → kExitInterrupted; the rest → kExitError.
int exit_code(ErrorKind kind);

}  // namespace owlet::app
