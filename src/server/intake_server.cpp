#include "server/intake_server.h"

#include "server/http_status.h"

namespace owlet::server {

httplib::Server::HandlerWithContentReader IntakeServer::wrap(Handler handler) {
  return [this, handler = std::move(handler)](const httplib::Request& req, httplib::Response& res,
                                              const httplib::ContentReader& reader) {
    httplib::Request full;
    Error err;
    if (!read_body(req, reader, *policy_, &full, &err)) {
      // httplib refuses a declared Content-Length over the limit before reading (and says 413).
      if (res.status == 413)
        err = {ErrorKind::too_large, "request body too large (limit " + std::to_string(policy_->body.max_bytes) + " bytes)"};
      return send_error_(req, res, http_status(err.kind), err.message);
    }
    if (!check_body(full, *policy_, &err)) return send_error_(req, res, http_status(err.kind), err.message);
    handler(full, res);
  };
}

IntakeServer& IntakeServer::Post(const std::string& pattern, Handler handler) {
  httplib::Server::Post(pattern, wrap(std::move(handler)));
  return *this;
}

IntakeServer& IntakeServer::Put(const std::string& pattern, Handler handler) {
  httplib::Server::Put(pattern, wrap(std::move(handler)));
  return *this;
}

IntakeServer& IntakeServer::Delete(const std::string& pattern, Handler handler) {
  httplib::Server::Delete(pattern, wrap(std::move(handler)));
  return *this;
}

}  // namespace owlet::server
