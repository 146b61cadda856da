// httplib::Server whose routes with a body read it through the request intake
// (intake.h): every Post/Put/Delete handler registered here is wrapped so the
// body is read by a content reader with the intake's limits (counted after
// decompression, chunked included), checked (JSON nesting, model names), and only
// then handed to the handler in req.body / req.files, exactly as before. Route
// files register handlers as they always did (`s.http.Post(path, handler)`).
#pragma once

#include <httplib.h>

#include <functional>
#include <string>

#include "server/intake.h"

namespace owlet::server {

class IntakeServer : public httplib::Server {
 public:
  // Answers a request the intake refused (the server's JSON error shapes).
  using ErrorSender = std::function<void(const httplib::Request&, httplib::Response&, int status, const std::string&)>;

  // Before routes are registered; both must outlive the server.
  void set_intake(const IntakePolicy* policy, ErrorSender send_error) {
    policy_ = policy;
    send_error_ = std::move(send_error);
  }

  // These hide httplib::Server's overloads of the same name, so every body route goes through the intake.
  IntakeServer& Post(const std::string& pattern, Handler handler);
  IntakeServer& Put(const std::string& pattern, Handler handler);
  IntakeServer& Delete(const std::string& pattern, Handler handler);

 private:
  HandlerWithContentReader wrap(Handler handler);
  const IntakePolicy* policy_ = nullptr;
  ErrorSender send_error_;
};

}  // namespace owlet::server
