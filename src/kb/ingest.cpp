#include "kb/ingest.h"
#include "common/strings.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "kb/html_text.h"
#include "kb/text.h"

namespace owlet::kb {

namespace fs = std::filesystem;

const char* to_string(FileOutcome o) {
  switch (o) {
    case FileOutcome::kAdded: return "added";
    case FileOutcome::kReplaced: return "replaced";
    case FileOutcome::kUnchanged: return "unchanged";
    case FileOutcome::kDuplicate: return "duplicate";
    case FileOutcome::kSkipped: return "skipped";
    case FileOutcome::kFailed: return "failed";
  }
  return "?";
}

namespace {

std::string lower_ext(const fs::path& p) {
  return ascii_lower(p.extension().string());
}

bool matches_any(const std::vector<std::string>& patterns, const std::string& rel, const std::string& name) {
  for (const auto& p : patterns) {
    if (fnmatch(p.c_str(), rel.c_str(), 0) == 0 || fnmatch(p.c_str(), name.c_str(), 0) == 0) return true;
  }
  return false;
}

std::string human_bytes(uint64_t n) {
  char buf[32];
  if (n >= (1ull << 30)) std::snprintf(buf, sizeof(buf), "%.1f GiB", static_cast<double>(n) / (1ull << 30));
  else if (n >= (1ull << 20)) std::snprintf(buf, sizeof(buf), "%.1f MiB", static_cast<double>(n) / (1ull << 20));
  else std::snprintf(buf, sizeof(buf), "%llu bytes", static_cast<unsigned long long>(n));
  return buf;
}

// Reads at most cap+1 bytes, so a file that grows past the cap is still refused.
bool read_capped(const std::string& path, uint64_t cap, std::string* out, std::string* why) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *why = std::string("cannot open: ") + std::strerror(errno);
    return false;
  }
  out->clear();
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *why = std::string("cannot read: ") + std::strerror(errno);
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    out->append(buf, static_cast<size_t>(n));
    if (out->size() > cap) {
      *why = "larger than the " + human_bytes(cap) + " cap";
      ::close(fd);
      return false;
    }
  }
  ::close(fd);
  return true;
}

// Markdown title: the first ATX heading, else nothing.
std::string markdown_title(std::string_view text) {
  size_t pos = 0;
  for (int lines = 0; pos < text.size() && lines < 50; ++lines) {
    const size_t nl = std::min(text.find('\n', pos), text.size());
    std::string_view line = text.substr(pos, nl - pos);
    if (line.size() > 1 && line[0] == '#') {
      line.remove_prefix(line.find_first_not_of('#'));
      while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
      if (!line.empty()) return std::string(line);
    }
    pos = nl + 1;
  }
  return {};
}

}  // namespace

bool load_document(const std::string& path, const IngestOptions& opts, Document* doc, std::string* why) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    *why = std::strerror(errno);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    *why = "not a regular file";
    return false;
  }
  // Refuse by size before reading a byte: a 1 GB file costs one stat.
  if (static_cast<uint64_t>(st.st_size) > opts.max_file_bytes) {
    *why = human_bytes(static_cast<uint64_t>(st.st_size)) + " is larger than the " + human_bytes(opts.max_file_bytes) +
           " cap";
    return false;
  }
  std::string raw;
  if (!read_capped(path, opts.max_file_bytes, &raw, why)) return false;
  const size_t nul = raw.find('\0', 0);
  if (nul != std::string::npos && nul < (1u << 20)) {
    *why = "binary file (NUL byte at offset " + std::to_string(nul) + ")";
    return false;
  }
  // A UTF-8 byte order mark is not content.
  if (raw.compare(0, 3, "\xEF\xBB\xBF") == 0) raw.erase(0, 3);
  size_t bad = 0;
  if (!utf8_valid(raw, &bad)) {
    *why = "not valid UTF-8 (first bad byte at offset " + std::to_string(bad) + ")";
    return false;
  }
  const std::string ext = lower_ext(path);
  Document d;
  std::error_code ec;
  const fs::path abs = fs::absolute(path, ec);
  d.source = (ec ? fs::path(path) : abs.lexically_normal()).string();
  d.source_kind = opts.source_kind;
  d.trust = opts.trust;
  d.modified_at = static_cast<int64_t>(st.st_mtime);
  if (ext == ".html" || ext == ".htm" || ext == ".xhtml") {
    d.text = opts.html_to_text ? opts.html_to_text(raw, &d.title) : html_to_text_basic(raw, &d.title);
    d.text = utf8_sanitize(d.text);  // an injected extractor is trusted for text, not for encoding
  } else {
    d.text = std::move(raw);
    if (ext == ".md" || ext == ".markdown") d.title = markdown_title(d.text);
  }
  if (d.title.empty()) d.title = fs::path(path).filename().string();
  if (estimate_tokens(d.text) == 0) {
    *why = "no text";
    return false;
  }
  *doc = std::move(d);
  return true;
}

namespace {

// A file to ingest, or a path to report without reading it.
struct Item {
  std::string path;
  std::string problem;   // non-empty: not read, for this reason
  bool failed = false;   // the problem is an error (a path the user named is not there), not a skip
};

// The files under one directory that the patterns select, in a stable order (so
// runs are reproducible and progress is meaningful). Symbolic links that are
// not followed are reported, not silently dropped.
void walk_directory(const std::string& root, const std::vector<std::string>& include, const IngestOptions& opts,
                    std::vector<Item>* items) {
  std::error_code ec;
  auto dir_opts = fs::directory_options::skip_permission_denied;
  if (opts.follow_symlinks) dir_opts |= fs::directory_options::follow_directory_symlink;
  fs::recursive_directory_iterator it(root, dir_opts, ec), end;
  if (ec) {
    items->push_back({root, "cannot list directory: " + ec.message(), true});
    return;
  }
  std::vector<Item> found;
  for (; it != end; it.increment(ec)) {
    if (ec) {
      items->push_back({it->path().string(), "cannot list: " + ec.message()});
      ec.clear();
      continue;
    }
    const fs::path& p = it->path();
    const std::string name = p.filename().string();
    const std::string rel = p.lexically_relative(root).string();
    if (opts.skip_hidden && !name.empty() && name[0] == '.') {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    const bool link = it->is_symlink(ec);
    if (it->is_directory(ec)) {
      if (matches_any(opts.exclude, rel, name)) it.disable_recursion_pending();
      else if (link && !opts.follow_symlinks) found.push_back({p.string(), "symbolic link to a directory, not followed"});
      continue;
    }
    if (!matches_any(include, rel, name) || matches_any(opts.exclude, rel, name)) continue;
    if (link && !opts.follow_symlinks) found.push_back({p.string(), "symbolic link, not followed"});
    else found.push_back({p.string(), {}});
  }
  std::sort(found.begin(), found.end(), [](const Item& x, const Item& y) { return x.path < y.path; });
  for (auto& f : found) items->push_back(std::move(f));
}

// Every file the roots name, walked first so progress can show a total. A root
// that does not exist is a failure: the user named it.
std::vector<Item> walk_roots(const std::vector<std::string>& paths, const IngestOptions& opts) {
  const auto& include = opts.include.empty() ? default_include_patterns() : opts.include;
  std::vector<Item> items;
  for (const std::string& root : paths) {
    std::error_code ec;
    const fs::file_status st = fs::status(root, ec);
    if (ec || !fs::exists(st)) {
      items.push_back({root, ec ? ec.message() : "no such file or directory", true});
    } else if (fs::is_directory(st)) {
      walk_directory(root, include, opts, &items);
    } else {
      const std::string name = fs::path(root).filename().string();
      if (!matches_any(opts.exclude, name, name)) items.push_back({root, {}});
    }
  }
  return items;
}

// Reads and stores one file, counting the outcome in *sum.
IngestFileResult ingest_one(KnowledgeBase& kb, const Item& item, const IngestOptions& opts, IngestSummary* sum) {
  IngestFileResult fr;
  fr.path = item.path;
  ++sum->files_seen;
  Document doc;
  std::string why = item.problem;
  if (!why.empty() || !load_document(item.path, opts, &doc, &why)) {
    fr.outcome = item.failed ? FileOutcome::kFailed : FileOutcome::kSkipped;
    ++(item.failed ? sum->failed : sum->skipped);
    fr.message = why;
    return fr;
  }
  sum->bytes += doc.text.size();
  const AddResult r = kb.add(doc);
  fr.document_id = r.document_id;
  fr.chunks = r.chunks;
  sum->dropped_answers += r.dropped_answers;
  switch (r.status) {
    case AddStatus::kAdded: fr.outcome = FileOutcome::kAdded, ++sum->added; break;
    case AddStatus::kReplaced: fr.outcome = FileOutcome::kReplaced, ++sum->replaced; break;
    case AddStatus::kUnchanged: fr.outcome = FileOutcome::kUnchanged, ++sum->unchanged; break;
    case AddStatus::kDuplicate:
      fr.outcome = FileOutcome::kDuplicate, ++sum->duplicates;
      fr.message = "duplicate of document " + std::to_string(r.duplicate_of);
      break;
    case AddStatus::kError:
      fr.outcome = FileOutcome::kFailed, ++sum->failed;
      fr.message = r.error.message;
      break;
  }
  sum->chunks += static_cast<size_t>(r.chunks);
  return fr;
}

}  // namespace

IngestSummary ingest_paths(KnowledgeBase& kb, const std::vector<std::string>& paths, const IngestOptions& opts) {
  IngestSummary sum;
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<Item> items = walk_roots(paths, opts);
  IngestProgress prog;
  prog.files_total = items.size();
  for (const Item& item : items) {
    IngestFileResult fr = ingest_one(kb, item, opts, &sum);
    if (fr.outcome == FileOutcome::kSkipped || fr.outcome == FileOutcome::kFailed) sum.problems.push_back(fr);
    if (!opts.progress) continue;
    prog.files_done = sum.files_seen;
    prog.chunks = sum.chunks;
    prog.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    prog.last = &fr;
    if (!opts.progress(prog)) {
      sum.stopped = true;
      break;
    }
  }
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return sum;
}

}  // namespace owlet::kb
