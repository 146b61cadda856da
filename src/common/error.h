// Errors with kinds. Every module reports failures as an Error: a kind that
// says what went wrong in terms a caller can act on, and a message for people.
// Only src/server turns a kind into an HTTP status (one switch, http_status.h)
// and only src/app into an exit code; nothing searches message text.
//
//   bool load(const std::string& path, Error* err);   // false and *err on failure
//   if (!load(p, &err) && err.kind == ErrorKind::not_found) ...
#pragma once

#include <iosfwd>
#include <string>

namespace owlet {

enum class ErrorKind {
  none = 0,
  // The request itself.
  bad_request,      // malformed or out-of-range input
  not_found,        // no such model, document, file, endpoint
  too_large,        // a body, field, file or page over its cap
  prompt_too_long,  // the prompt does not fit the context
  unsupported,      // the model or build cannot do what was asked (tools, vision, an embedding model asked to chat)
  forbidden,        // refused by policy: a path over the API, a registry not allowed
  unprocessable,    // well-formed, but its content cannot be used (no readable text, a refused URL, a content type)
  // Capacity and lifecycle.
  queue_full,       // every slot busy and the queue full: try again
  unavailable,      // not configured, loading, or shutting down
  cancelled,        // the caller or a shutdown stopped it
  // The outside world (web pages, search providers, registries).
  invalid_url,         // unparsable URL or a scheme other than http/https
  blocked_address,     // SSRF guard: private/loopback/link-local/metadata address
  blocked_domain,      // source governance: domain deny list / not on the allow list
  rate_limited,        // per-domain rate limit or a server's 429/503 back-off
  timeout,             // request or batch deadline passed
  too_many_redirects,  // redirect chain longer than the limit (or a loop)
  network,             // DNS, connect, reset, protocol errors
  tls,                 // certificate verification or handshake failure
  http_status,         // a server answered with a non-success status
  parse,               // a response or file not in the expected shape
  io,                  // local disk: cannot read, write, or out of space
  internal,            // a bug or an unexpected library failure
};

// Stable snake_case name ("prompt_too_long"): metric labels, JSON, logs.
const char* error_kind_name(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::none;
  std::string message;

  Error() = default;
  Error(ErrorKind k, std::string m) : kind(k), message(std::move(m)) {}

  bool ok() const { return kind == ErrorKind::none; }
  explicit operator bool() const { return !ok(); }  // true when there is an error
  void clear() {
    kind = ErrorKind::none;
    message.clear();
  }
  // The same error with context in front: "loading x.gguf: " + message.
  Error with_prefix(const std::string& prefix) const { return Error(kind, prefix + message); }
};

// "kind: message", for logs and test failure messages.
std::ostream& operator<<(std::ostream& os, const Error& e);

// Sets *err (when err is not null) and returns false, so a failing path reads
// `return fail(err, ErrorKind::not_found, "no model 'x'");`.
bool fail(Error* err, ErrorKind kind, std::string message);

}  // namespace owlet
