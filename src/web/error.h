// Errors of the web module are owlet's common errors (common/error.h): the web
// kinds (invalid_url, blocked_address, timeout, network…) live in that one enum
// so that a fetch failure keeps its kind all the way to the HTTP status.
#pragma once

#include "common/error.h"

namespace owlet::web {

using ErrorKind = owlet::ErrorKind;
using Error = owlet::Error;
using owlet::error_kind_name;

}  // namespace owlet::web
