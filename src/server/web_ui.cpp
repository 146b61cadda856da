#include "server/server_context.h"

namespace owlet::server {

void register_ui_routes(Server::Impl&) {}

}  // namespace owlet::server
