#include "support/registry_server.h"

#include <httplib.h>
#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace owlet::test {
namespace {

std::string sha256(const std::string& s) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(hex[md[i] >> 4]);
    out.push_back(hex[md[i] & 15]);
  }
  return out;
}

}  // namespace

RegistryServer::RegistryServer() : server_(std::make_unique<httplib::Server>()) {
  auto& s = *server_;
  // Registry auth: /v2/ requests need the bearer token once require_token() was called.
  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    std::string token, realm;
    {
      std::lock_guard<std::mutex> lock(mu_);
      token = token_;
      realm = realm_.empty() ? url() + "/token" : realm_;
    }
    if (token.empty() || req.path.rfind("/v2/", 0) != 0) return httplib::Server::HandlerResponse::Unhandled;
    if (req.get_header_value("Authorization") == "Bearer " + token) return httplib::Server::HandlerResponse::Unhandled;
    log({req.method, req.path, req.get_header_value("Range"), req.get_header_value("Accept"), 0});
    res.status = 401;
    res.set_header("WWW-Authenticate",
                   "Bearer realm=\"" + realm + "\",service=\"owlet-test\",scope=\"repository:pull\"");
    res.set_content(R"({"errors":[{"code":"UNAUTHORIZED"}]})", "application/json");
    return httplib::Server::HandlerResponse::Handled;
  });
  s.Get("/token", [this](const httplib::Request& req, httplib::Response& res) {
    log({req.method, req.path + "?" + req.get_param_value("service") + "&" + req.get_param_value("scope"), "", "", 0});
    std::lock_guard<std::mutex> lock(mu_);
    res.set_content("{\"token\":\"" + token_ + "\"}", "application/json");
  });
  s.Get(R"(/v2/(.+)/manifests/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    std::string key = req.matches[1].str() + ":" + req.matches[2].str();
    log({req.method, req.path, req.get_header_value("Range"), req.get_header_value("Accept"), 0});
    std::lock_guard<std::mutex> lock(mu_);
    auto it = manifests_.find(key);
    if (it == manifests_.end()) {
      res.status = 404;
      res.set_content(R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})", "application/json");
      return;
    }
    res.set_content(it->second, "application/vnd.docker.distribution.manifest.v2+json");
  });
  // Like registry.ollama.ai: blob URLs redirect to a CDN.
  s.Get(R"(/v2/(.+)/blobs/sha256:([0-9a-f]{64}))", [this](const httplib::Request& req, httplib::Response& res) {
    log({req.method, req.path, req.get_header_value("Range"), req.get_header_value("Accept"), 0});
    std::string base;
    {
      std::lock_guard<std::mutex> lock(mu_);
      base = blob_base_;
    }
    res.set_redirect(base + "/cdn/sha256:" + req.matches[2].str(), 307);
  });
  s.Get(R"(/([^/]+)/([^/]+)/resolve/([^/]+)/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
    log({req.method, req.path, req.get_header_value("Range"), req.get_header_value("Accept"), 0});
    std::string key = req.matches[1].str() + "/" + req.matches[2].str() + "/" + req.matches[3].str() + "/" +
                      req.matches[4].str();
    std::lock_guard<std::mutex> lock(mu_);
    auto it = hf_.find(key);
    if (it == hf_.end()) {
      res.status = 404;
      res.set_content("Entry not found", "text/plain");
      return;
    }
    const auto& [hex, publish] = it->second;
    if (publish) {
      res.set_header("X-Linked-Etag", "\"" + hex + "\"");
      res.set_header("X-Linked-Size", std::to_string(blobs_[hex].size()));
    }
    res.set_redirect("/cdn/sha256:" + hex, 302);
  });
  s.Get(R"(/cdn/sha256:([0-9a-f]{64}))", [this](const httplib::Request& req, httplib::Response& res) {
    std::string hex = req.matches[1].str();
    std::string data;
    Drop drop;
    size_t index = 0;
    size_t chunk = 64 * 1024;
    int delay_ms = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = blobs_.find(hex);
      if (it == blobs_.end()) {
        res.status = 404;
        return;
      }
      data = it->second;
      if (corrupt_[hex] && !data.empty()) data[data.size() / 2] ^= 0x5a;
      auto d = drops_.find(hex);
      if (d != drops_.end() && d->second.times > 0) {
        drop = d->second;
        --d->second.times;
      }
      requests_.push_back({req.method, req.path, req.get_header_value("Range"), req.get_header_value("Accept"), 0});
      index = requests_.size() - 1;
      if (throttle_bytes_) chunk = throttle_bytes_;
      delay_ms = throttle_delay_ms_;
    }
    auto shared = std::make_shared<std::string>(std::move(data));
    // httplib answers a Range request with 206 + Content-Range and calls the provider from the range start.
    res.set_content_provider(
        shared->size(), "application/octet-stream",
        [this, shared, drop, index, chunk, delay_ms](size_t offset, size_t length, httplib::DataSink& sink) {
          if (drop.times > 0 && offset >= drop.after) return false;  // drop the connection
          if (delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
          size_t n = std::min<size_t>({length, chunk});
          if (drop.times > 0) n = std::min<size_t>(n, drop.after - offset);
          if (!sink.write(shared->data() + offset, n)) return false;
          std::lock_guard<std::mutex> lock(mu_);
          requests_[index].bytes_sent += n;
          return true;
        });
  });
  port_ = s.bind_to_any_port("127.0.0.1");
  if (port_ <= 0) throw std::runtime_error("registry server: cannot bind 127.0.0.1");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  for (int i = 0; i < 500 && !server_->is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
}

RegistryServer::~RegistryServer() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string RegistryServer::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void RegistryServer::log(RegistryRequest r) {
  std::lock_guard<std::mutex> lock(mu_);
  requests_.push_back(std::move(r));
}

RegistryServer::Published RegistryServer::add_ollama_model(const std::string& ns, const std::string& model,
                                                           const std::string& tag, const std::string& gguf) {
  Published p;
  std::string config = R"({"model_format":"gguf","model_family":"qwen2","model_type":"tiny","file_type":"F16"})";
  std::string tmpl = "{{ .Prompt }}";
  p.model_hex = sha256(gguf);
  p.config_hex = sha256(config);
  p.template_hex = sha256(tmpl);
  p.manifest = std::string(R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",)") +
               R"("config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:)" +
               p.config_hex + R"(","size":)" + std::to_string(config.size()) + R"(},"layers":[)" +
               R"({"mediaType":"application/vnd.ollama.image.model","digest":"sha256:)" + p.model_hex +
               R"(","size":)" + std::to_string(gguf.size()) + "}," +
               R"({"mediaType":"application/vnd.ollama.image.template","digest":"sha256:)" + p.template_hex +
               R"(","size":)" + std::to_string(tmpl.size()) + "}]}";
  std::lock_guard<std::mutex> lock(mu_);
  manifests_[ns + "/" + model + ":" + tag] = p.manifest;
  blobs_[p.model_hex] = gguf;
  blobs_[p.config_hex] = config;
  blobs_[p.template_hex] = tmpl;
  return p;
}

std::string RegistryServer::add_hf_file(const std::string& owner, const std::string& repo, const std::string& revision,
                                        const std::string& file, const std::string& bytes, bool publish_sha) {
  std::string hex = sha256(bytes);
  std::lock_guard<std::mutex> lock(mu_);
  blobs_[hex] = bytes;
  hf_[owner + "/" + repo + "/" + revision + "/" + file] = {hex, publish_sha};
  return hex;
}

void RegistryServer::drop_after(const std::string& hex, uint64_t after_bytes, int times) {
  std::lock_guard<std::mutex> lock(mu_);
  drops_[hex] = {after_bytes, times};
}

void RegistryServer::corrupt(const std::string& hex) {
  std::lock_guard<std::mutex> lock(mu_);
  corrupt_[hex] = true;
}

void RegistryServer::require_token(const std::string& token) {
  std::lock_guard<std::mutex> lock(mu_);
  token_ = token;
}

void RegistryServer::set_token_realm(const std::string& realm_url) {
  std::lock_guard<std::mutex> lock(mu_);
  realm_ = realm_url;
}

void RegistryServer::redirect_blobs_to(const std::string& base_url) {
  std::lock_guard<std::mutex> lock(mu_);
  blob_base_ = base_url;
}

void RegistryServer::throttle(size_t bytes, int delay_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  throttle_bytes_ = bytes;
  throttle_delay_ms_ = delay_ms;
}

RegistryServer::Published RegistryServer::add_ollama_model_list(const std::string& ns, const std::string& model,
                                                                const std::string& tag, const std::string& gguf) {
  Published child = add_ollama_model(ns, model, tag, gguf);
  std::string child_hex = sha256(child.manifest);
  std::string list = std::string(R"({"schemaVersion":2,"mediaType":"application/vnd.ollama.manifest.list.v2+json",)") +
                     R"("manifests":[{"mediaType":"application/vnd.docker.distribution.manifest.v2+json",)" +
                     R"("runner":"mlx","digest":"sha256:)" + std::string(64, '0') + R"(","size":1},)" +
                     R"({"mediaType":"application/vnd.docker.distribution.manifest.v2+json","runner":"llamacpp",)" +
                     R"("digest":"sha256:)" + child_hex + R"(","size":)" + std::to_string(child.manifest.size()) + "}]}";
  std::lock_guard<std::mutex> lock(mu_);
  manifests_[ns + "/" + model + ":sha256:" + child_hex] = child.manifest;
  manifests_[ns + "/" + model + ":" + tag] = list;
  return child;
}

void RegistryServer::remove_blob(const std::string& hex) {
  std::lock_guard<std::mutex> lock(mu_);
  blobs_.erase(hex);
}

std::vector<RegistryRequest> RegistryServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

std::vector<RegistryRequest> RegistryServer::blob_requests(const std::string& hex) const {
  std::vector<RegistryRequest> out;
  for (const auto& r : requests())
    if (r.path == "/cdn/sha256:" + hex) out.push_back(r);
  return out;
}

uint64_t RegistryServer::bytes_sent(const std::string& hex) const {
  uint64_t n = 0;
  for (const auto& r : blob_requests(hex)) n += r.bytes_sent;
  return n;
}

}  // namespace owlet::test
