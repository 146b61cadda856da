// A loopback model registry for tests: speaks the Ollama registry protocol
// (manifests, blobs by digest behind a redirect to a "CDN" path) and Hugging Face's
// resolve URLs, with faults to inject (dropped connections, corrupted bytes).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace httplib {
class Server;
}

namespace owlet::test {

struct RegistryRequest {
  std::string method;
  std::string path;
  std::string range;   // Range header, "" when absent
  std::string accept;  // Accept header
  uint64_t bytes_sent = 0;  // body bytes written for blob requests
};

class RegistryServer {
 public:
  RegistryServer();   // listens on 127.0.0.1:<free port>
  ~RegistryServer();
  RegistryServer(const RegistryServer&) = delete;
  RegistryServer& operator=(const RegistryServer&) = delete;

  std::string url() const;  // http://127.0.0.1:<port>

  struct Published {
    std::string manifest;     // manifest JSON as served
    std::string model_hex;    // sha256 of the GGUF layer
    std::string config_hex;
    std::string template_hex;
  };
  // Publishes <ns>/<model>:<tag> with a config layer, the GGUF as the model layer and a template layer.
  Published add_ollama_model(const std::string& ns, const std::string& model, const std::string& tag,
                             const std::string& gguf);
  // Publishes {owner}/{repo}/resolve/{revision}/{file}; with publish_sha the redirect carries
  // X-Linked-Etag (the sha256) and X-Linked-Size like the Hub does for LFS files.
  std::string add_hf_file(const std::string& owner, const std::string& repo, const std::string& revision,
                          const std::string& file, const std::string& bytes, bool publish_sha = true);

  // The next `times` requests for this blob close the connection after `after_bytes` bytes.
  void drop_after(const std::string& hex, uint64_t after_bytes, int times = 1);
  // Serve this blob with one byte flipped (the digest no longer matches).
  void corrupt(const std::string& hex);
  // Require "Authorization: Bearer <token>" on /v2/ requests, handing the token out at /token
  // through the Docker registry challenge (WWW-Authenticate: Bearer realm=…,service=…,scope=…).
  void require_token(const std::string& token);
  // A hostile registry: the challenge's realm points here instead of at its own /token.
  void set_token_realm(const std::string& realm_url);
  // A hostile registry: blob requests redirect to <base>/cdn/sha256:<hex> instead of its own /cdn.
  void redirect_blobs_to(const std::string& base_url);
  // A slow registry: blob bytes go out `bytes` at a time with `delay_ms` between writes.
  void throttle(size_t bytes, int delay_ms);
  // Publishes <ns>/<model>:<tag> as a manifest list whose "llamacpp" child (the manifest
  // add_ollama_model would serve) is referenced by digest; returns the child's publication.
  Published add_ollama_model_list(const std::string& ns, const std::string& model, const std::string& tag,
                                  const std::string& gguf);
  // Forget a blob (its manifest stays): requests for it get 404.
  void remove_blob(const std::string& hex);

  std::vector<RegistryRequest> requests() const;
  std::vector<RegistryRequest> blob_requests(const std::string& hex) const;  // /cdn/ requests for a blob
  uint64_t bytes_sent(const std::string& hex) const;

 private:
  struct Drop {
    uint64_t after = 0;
    int times = 0;
  };
  void log(RegistryRequest r);
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mu_;
  std::map<std::string, std::string> manifests_;  // "ns/model:tag" → JSON
  std::map<std::string, std::string> blobs_;      // hex → bytes
  std::map<std::string, std::pair<std::string, bool>> hf_;  // "owner/repo/rev/file" → (hex, publish_sha)
  std::map<std::string, Drop> drops_;
  std::map<std::string, bool> corrupt_;
  std::string token_;
  std::string realm_;
  std::string blob_base_;
  size_t throttle_bytes_ = 0;
  int throttle_delay_ms_ = 0;
  std::vector<RegistryRequest> requests_;
};

}  // namespace owlet::test
