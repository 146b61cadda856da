#include "models/regular_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace owlet::models {

FILE* open_regular_file(const std::string& path, Error* err) {
  // O_NONBLOCK: opening a FIFO for reading returns at once instead of waiting
  // for a writer; fstat then tells what was opened, with no race against a rename.
  int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    fail(err, errno == ENOENT ? ErrorKind::not_found : ErrorKind::io, "cannot read " + path + ": " + strerror(errno));
    return nullptr;
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    fail(err, ErrorKind::unsupported, path + " is not a regular file");
    return nullptr;
  }
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  FILE* f = fdopen(fd, "rb");
  if (!f) {
    close(fd);
    fail(err, ErrorKind::io, "cannot read " + path + ": " + strerror(errno));
  }
  return f;
}

bool read_regular_file(const std::string& path, size_t limit, std::string* out, Error* err) {
  FILE* f = open_regular_file(path, err);
  if (!f) return false;
  std::string data;
  std::vector<char> buf(64 * 1024);
  size_t got = 0;
  bool too_large = false;
  while ((got = fread(buf.data(), 1, buf.size(), f)) > 0) {
    if (data.size() + got > limit) {
      too_large = true;
      break;
    }
    data.append(buf.data(), got);
  }
  bool bad = ferror(f) != 0;
  fclose(f);
  if (too_large) return fail(err, ErrorKind::too_large, path + " is larger than " + std::to_string(limit) + " bytes");
  if (bad) return fail(err, ErrorKind::io, "cannot read " + path + ": read error");
  *out = std::move(data);
  return true;
}

}  // namespace owlet::models
