#include "app/exit_codes.h"

namespace owlet::app {

int exit_code(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::none: return kExitOk;
    case ErrorKind::bad_request:
    case ErrorKind::not_found:  // a model, file or document named that is not there
    case ErrorKind::too_large:
    case ErrorKind::prompt_too_long:
    case ErrorKind::unsupported:
    case ErrorKind::forbidden:
    case ErrorKind::unprocessable:
    case ErrorKind::invalid_url: return kExitUsage;
    case ErrorKind::cancelled: return kExitInterrupted;
    default: return kExitError;
  }
}

}  // namespace owlet::app
