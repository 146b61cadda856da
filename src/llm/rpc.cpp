#include "llm/rpc.h"

#include <ggml-backend.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <mutex>

#include "common/strings.h"
#include "llm/backend.h"

namespace owlet::llm {
namespace {

// llama.cpp's RPC client aborts the process when it cannot connect, so each
// server is first checked with a plain TCP connect (2 s).
bool reachable(const std::string& host, const std::string& port, std::string* why) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    *why = gai_strerror(rc);
    return false;
  }
  bool ok = false;
  for (addrinfo* a = res; a && !ok; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    int rc = connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      int soerr = 0;
      socklen_t len = sizeof soerr;
      if (poll(&p, 1, 2000) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0) {
        rc = soerr == 0 ? 0 : -1;
        errno = soerr;
      } else {
        errno = ETIMEDOUT;
      }
    }
    ok = rc == 0;
    if (!ok) *why = std::strerror(errno);
    close(fd);
  }
  freeaddrinfo(res);
  return ok;
}

// Endpoint -> its registry entry, for every server added in this process.
std::mutex g_rpc_mu;
std::map<std::string, ggml_backend_reg_t>& added_servers() {
  static auto* m = new std::map<std::string, ggml_backend_reg_t>();  // lives as long as ggml's registry
  return *m;
}

}  // namespace

bool add_rpc_servers(const std::string& endpoints, Error* err) {
  backend_init();
  std::lock_guard lock(g_rpc_mu);
  auto& added = added_servers();
  for (const std::string& raw : split(endpoints, ',')) {
    const std::string ep(trim(raw));
    if (ep.empty() || added.count(ep)) continue;
    const size_t colon = ep.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == ep.size())
      return fail(err, ErrorKind::bad_request, "rpc_servers: expected host:port, got '" + ep + "'");
    std::string host = ep.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    std::string why;
    if (!reachable(host, ep.substr(colon + 1), &why))
      return fail(err, ErrorKind::network, "rpc_servers: " + ep + " does not answer (" + why + ")");
    ggml_backend_reg_t rpc = ggml_backend_reg_by_name("RPC");
    if (!rpc) return fail(err, ErrorKind::unsupported, "rpc_servers: this build of ggml has no RPC backend (GGML_RPC=ON)");
    using add_server_fn = ggml_backend_reg_t (*)(const char*);
    auto add_server = reinterpret_cast<add_server_fn>(ggml_backend_reg_get_proc_address(rpc, "ggml_backend_rpc_add_server"));
    if (!add_server) return fail(err, ErrorKind::unsupported, "rpc_servers: the RPC backend cannot add servers");
    ggml_backend_reg_t reg = add_server(ep.c_str());
    if (!reg) return fail(err, ErrorKind::unavailable, "rpc_servers: " + ep + " offers no device");
    ggml_backend_register(reg);
    added[ep] = reg;
  }
  return true;
}

std::vector<ggml_backend_dev_t> rpc_devices(const std::string& endpoints) {
  std::vector<ggml_backend_dev_t> out;
  std::lock_guard lock(g_rpc_mu);
  const auto& added = added_servers();
  for (const std::string& raw : split(endpoints, ',')) {
    auto it = added.find(std::string(trim(raw)));
    if (it == added.end()) continue;
    for (size_t i = 0; i < ggml_backend_reg_dev_count(it->second); ++i) out.push_back(ggml_backend_reg_dev_get(it->second, i));
  }
  return out;
}

}  // namespace owlet::llm

#if defined(__SANITIZE_ADDRESS__)
// ggml keeps an added RPC server's registry entry and device for the process's
// lifetime, in a registry whose static destructor runs before LeakSanitizer's
// exit check: the entries then look leaked. They are ggml's by design, once per
// server; nothing of owlet's is hidden by this.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:ggml_backend_rpc_add_server\nleak:ggml_backend_rpc_buffer_type\n";
}
#endif
