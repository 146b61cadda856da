#include "server/server_context.h"

namespace owlet::server {

void register_answer_routes(Server::Impl&) {}

}  // namespace owlet::server
