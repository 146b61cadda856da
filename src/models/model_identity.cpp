#include "models/model_identity.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "models/sha256.h"

namespace owlet::models {

std::string blob_digest(const std::string& path) {
  std::filesystem::path p(path);
  std::string file = p.filename().string();
  if (p.parent_path().filename() != "blobs" || file.rfind("sha256-", 0) != 0) return "";
  std::string hex = file.substr(7);
  return is_sha256_hex(hex) ? "sha256:" + hex : "";
}

bool model_identity(const std::string& path, std::string* identity, Error* err) {
  // A store blob is verified against its name when it is resolved, so the name is its content.
  std::string digest = blob_digest(path);
  if (!digest.empty()) {
    *identity = digest;
    return true;
  }
  struct stat st {};
  if (stat(path.c_str(), &st) != 0)
    return fail(err, errno == ENOENT ? ErrorKind::not_found : ErrorKind::io,
                "cannot stat model " + path + ": " + std::strerror(errno));
  std::error_code ec;
  std::string abs = std::filesystem::absolute(path, ec).lexically_normal().string();
  long long mtime_ns = static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
  *identity = "file:" + (ec ? path : abs) + ":" + std::to_string(static_cast<long long>(st.st_size)) + ":" +
              std::to_string(mtime_ns);
  return true;
}

}  // namespace owlet::models
