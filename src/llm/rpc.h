// llama.cpp's RPC backend: a model's offloaded layers placed on remote
// ggml-rpc-server processes (`rpc_servers: host:port,...`).
//
// RPC is for fitting a model that does not fit one machine, not for speed:
// every token's activations cross the network. The protocol has no
// authentication or encryption and the server trusts what it is sent, so keep
// rpc-server on a trusted network (loopback or a private link). llama.cpp
// aborts the process when a server it is using goes away; owlet checks that
// each server answers before registering it, but cannot catch a later loss.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"

typedef struct ggml_backend_device* ggml_backend_dev_t;

namespace owlet::llm {

// Registers each endpoint of a comma-separated host:port list as ggml devices
// (once per endpoint per process; later calls with the same endpoints are
// no-ops). False with a bad_request error for a malformed entry, network when
// a server does not accept a connection, unsupported when this build has no
// RPC backend.
bool add_rpc_servers(const std::string& endpoints, Error* err);

// The devices registered for these endpoints (by add_rpc_servers), in list
// order. ggml's registry is process-wide, so a model places layers only on the
// servers it names, never on another model's.
std::vector<ggml_backend_dev_t> rpc_devices(const std::string& endpoints);

}  // namespace owlet::llm
