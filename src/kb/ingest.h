// Ingest: files and directory trees into a KnowledgeBase.
//
// Formats by extension: .html/.htm/.xhtml through IngestOptions::html_to_text (or
// the built-in html_to_text_basic), everything else as UTF-8 text (.md/.markdown
// titled by their first heading). Each file is one document, stored in its own
// transaction, so an interrupted ingest keeps every file finished before it.
//
// Bad input never stops a run: a binary file, invalid UTF-8, a file over the size
// cap, an unreadable or missing path is skipped with a one-line reason, counted,
// and listed in IngestSummary::problems.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "kb/document.h"
#include "kb/knowledge_base.h"

namespace owlet::kb {

// HTML to main text; *title receives the page title (may be left empty).
using HtmlToText = std::function<std::string(std::string_view html, std::string* title)>;

enum class FileOutcome { kAdded, kReplaced, kUnchanged, kDuplicate, kSkipped, kFailed };
const char* to_string(FileOutcome o);

struct IngestFileResult {
  std::string path;
  FileOutcome outcome = FileOutcome::kSkipped;
  std::string message;      // why skipped/failed, or what it duplicates
  int chunks = 0;
  int64_t document_id = 0;
};

struct IngestProgress {
  size_t files_done = 0;
  size_t files_total = 0;   // known after the directory walk
  size_t chunks = 0;        // chunks written so far
  double elapsed_s = 0;
  const IngestFileResult* last = nullptr;  // the file just processed
};

struct IngestOptions {
  // fnmatch patterns. `*` also matches '/', and a pattern is tried against both the
  // path relative to the ingested directory and the file name, so "*.md",
  // "docs/*" and "drafts/*.txt" all do what they look like. Empty include = the
  // default text formats below. Files named explicitly on the command line are
  // taken whatever their extension; exclude applies to everything.
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  bool skip_hidden = true;          // .git, .cache, dotfiles inside directories
  bool follow_symlinks = false;     // off: no cycles, no escaping the tree
  uint64_t max_file_bytes = 64ull << 20;
  std::string source_kind = "file";
  double trust = 0.8;
  HtmlToText html_to_text;          // empty = html_to_text_basic
  // Called after every file; return false to stop the run early.
  std::function<bool(const IngestProgress&)> progress;
};

struct IngestSummary {
  size_t files_seen = 0;
  size_t added = 0, replaced = 0, unchanged = 0, duplicates = 0, skipped = 0, failed = 0;
  size_t chunks = 0;        // chunks written
  int64_t dropped_answers = 0;  // cached answers the changes made stale
  uint64_t bytes = 0;       // bytes of files read
  double seconds = 0;
  bool stopped = false;     // the progress callback asked to stop
  std::vector<IngestFileResult> problems;  // every skipped or failed file, with its reason
};

inline const std::vector<std::string>& default_include_patterns() {
  static const std::vector<std::string> k = {"*.txt", "*.text", "*.md", "*.markdown", "*.html", "*.htm", "*.xhtml"};
  return k;
}

IngestSummary ingest_paths(KnowledgeBase& kb, const std::vector<std::string>& paths, const IngestOptions& opts);

// Reads and converts one file without storing it. False with *why (one line) when
// the file must be skipped.
bool load_document(const std::string& path, const IngestOptions& opts, Document* doc, std::string* why);

}  // namespace owlet::kb
