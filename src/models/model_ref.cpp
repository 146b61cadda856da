#include "models/model_ref.h"

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "common/strings.h"

namespace owlet::models {
namespace {

// Views into `s` (common's split copies; these parsers keep offsets into the text).
std::vector<std::string_view> split_view(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t p = s.find(sep, start);
    out.push_back(s.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start));
    if (p == std::string_view::npos) break;
    start = p + 1;
  }
  return out;
}

// Character rules follow Ollama's name parser (types/model/name.go): parts are
// ASCII letters, digits, '_', '-', plus '.' in model and tag and '.'/':' in host.
bool valid_part(std::string_view s, std::string_view extra, size_t max_len, bool first_underscore_ok) {
  if (s.empty() || s.size() > max_len) return false;
  unsigned char c0 = static_cast<unsigned char>(s[0]);
  if (!isalnum(c0) && !(first_underscore_ok && c0 == '_')) return false;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (!isalnum(c) && c != '_' && c != '-' && extra.find(ch) == std::string_view::npos) return false;
  }
  return true;
}

bool looks_like_host(std::string_view s) {
  return s.find('.') != std::string_view::npos || s.find(':') != std::string_view::npos || iequals(s, "localhost");
}

bool fail(Error* err, std::string_view text, const std::string& why) {
  return owlet::fail(err, ErrorKind::bad_request, "invalid model name '" + std::string(text) + "': " + why);
}

bool has_control_char(std::string_view s) {
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

// A path by its spelling: absolute, relative, home-relative, a .gguf file, or
// "a/b/c" whose first part is not a registry host.
bool spelled_like_path(std::string_view text) {
  char c0 = text[0];
  if (iends_with(text, ".gguf") || c0 == '/' || c0 == '.' || c0 == '~' || text.find('\\') != std::string_view::npos)
    return true;
  if (text.find('/') == std::string_view::npos) return false;
  auto parts = split_view(text, '/');
  return parts.size() > 3 || (parts.size() == 3 && !looks_like_host(parts[0]));
}

}  // namespace

bool OllamaName::default_host() const { return iequals(host, kOllamaDefaultHost) || iequals(host, kOllamaV2Host); }

std::string OllamaName::display() const {
  std::string s;
  if (!default_host()) s = host + "/" + ns + "/";
  else if (ns != kOllamaDefaultNamespace) s = ns + "/";
  return s + model + ":" + tag;
}

std::string OllamaName::rel_path() const { return host + "/" + ns + "/" + model + "/" + tag; }

std::string HfRef::display() const {
  return "hf://" + owner + "/" + repo + "/" + file + (revision == "main" ? "" : "@" + revision);
}

std::string ModelRef::display() const {
  switch (kind) {
    case Kind::ollama: return ollama.display();
    case Kind::hf: return hf.display();
    case Kind::path: break;
  }
  return path;
}

bool parse_ollama_name(std::string_view text, OllamaName* out, Error* err) {
  if (text.empty()) return fail(err, text, "empty name");
  if (text.find('@') != std::string_view::npos)
    return fail(err, text, "digest references (name@sha256:...) are not supported; use name:tag");
  for (char c : text)
    if (isspace(static_cast<unsigned char>(c))) return fail(err, text, "contains whitespace");
  OllamaName n;
  std::string_view rest = text;
  size_t slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    n.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    if (n.tag.empty()) return fail(err, text, "empty tag after ':'");
    if (!valid_part(n.tag, ".", 80, true))
      return fail(err, text, "tag '" + n.tag + "' may hold only letters, digits, '_', '-', '.' (at most 80)");
  }
  if (size_t last = rest.rfind('/'); rest.find(':', last == std::string_view::npos ? 0 : last) != std::string_view::npos)
    return fail(err, text, "more than one ':' (expected model:tag)");
  auto parts = split_view(rest, '/');
  if (parts.size() > 3)
    return fail(err, text, "too many '/' parts (expected [host/][namespace/]model[:tag])");
  for (auto p : parts)
    if (p.empty()) return fail(err, text, "empty part between '/'");
  std::string_view model = parts.back();
  if (parts.size() == 3) {
    n.host = std::string(parts[0]);
    if (!valid_part(n.host, ".:", 350, false))
      return fail(err, text, "host '" + n.host + "' may hold only letters, digits, '.', ':', '_', '-'");
  }
  if (parts.size() >= 2) {
    n.ns = std::string(parts[parts.size() - 2]);
    if (!valid_part(n.ns, "", 80, false))
      return fail(err, text, "namespace '" + n.ns + "' may hold only letters, digits, '_', '-' (at most 80)");
  }
  n.model = std::string(model);
  if (!valid_part(n.model, ".", 80, true))
    return fail(err, text, "model '" + n.model + "' may hold only letters, digits, '_', '-', '.' (at most 80)");
  *out = std::move(n);
  return true;
}

bool parse_hf_ref(std::string_view text, HfRef* out, Error* err) {
  auto bad = [&](const std::string& why) {
    return owlet::fail(err, ErrorKind::bad_request, "invalid Hugging Face reference '" + std::string(text) + "': " + why);
  };
  std::string_view s = text;
  HfRef r;
  bool is_url = false;
  for (std::string_view prefix : {"https://huggingface.co/", "http://huggingface.co/", "https://hf.co/"}) {
    if (s.substr(0, prefix.size()) == prefix) {
      s.remove_prefix(prefix.size());
      is_url = true;
      break;
    }
  }
  if (!is_url) {
    if (s.substr(0, 5) != "hf://") return bad("expected hf://owner/repo/file.gguf[@revision]");
    s.remove_prefix(5);
  }
  size_t q = s.find_first_of("?#");
  if (q != std::string_view::npos) s = s.substr(0, q);
  auto parts = split_view(s, '/');
  if (parts.size() < 3) return bad("expected hf://owner/repo/file.gguf[@revision]");
  r.owner = std::string(parts[0]);
  r.repo = std::string(parts[1]);
  size_t first_file = 2;
  if (is_url) {
    // owner/repo/resolve/<revision>/<file...> (or blob/ — the web page of the same file)
    if (parts.size() < 5 || (parts[2] != "resolve" && parts[2] != "blob"))
      return bad("expected https://huggingface.co/owner/repo/resolve/revision/file.gguf");
    r.revision = std::string(parts[3]);
    first_file = 4;
  }
  for (size_t i = first_file; i < parts.size(); ++i) r.file += (i > first_file ? "/" : "") + std::string(parts[i]);
  if (!is_url) {
    size_t at = r.file.rfind('@');
    if (at != std::string::npos) {
      r.revision = r.file.substr(at + 1);
      r.file = r.file.substr(0, at);
      if (r.revision.empty()) return bad("empty revision after '@'");
    }
  }
  if (!valid_part(r.owner, ".", 96, false)) return bad("owner '" + r.owner + "' is not a valid Hugging Face name");
  if (!valid_part(r.repo, ".", 96, false)) return bad("repository '" + r.repo + "' is not a valid Hugging Face name");
  for (auto seg : split_view(r.file, '/'))
    if (seg.empty() || seg == "." || seg == "..") return bad("file path '" + r.file + "' has an empty or dot segment");
  if (!iends_with(r.file, ".gguf")) return bad("'" + r.file + "' is not a .gguf file");
  for (char c : r.file)
    if (static_cast<unsigned char>(c) < 0x20 || c == '\\') return bad("file path has a control character or '\\'");
  for (auto seg : split_view(r.revision, '/'))
    if (!valid_part(seg, ".", 128, true)) return bad("revision '" + r.revision + "' is not a branch, tag or commit");
  *out = std::move(r);
  return true;
}

std::string model_name_key(std::string_view name) {
  ModelRef r;
  Error why;
  if (!parse_model_ref(name, &r, &why, PathRule::syntax) || r.kind != ModelRef::Kind::ollama) return std::string(name);
  OllamaName n = r.ollama;
  if (n.default_host()) n.host = kOllamaDefaultHost;
  return ascii_lower(n.rel_path());
}

bool same_model_name(std::string_view a, std::string_view b) {
  return a == b || model_name_key(a) == model_name_key(b);
}

bool parse_model_ref(std::string_view text, ModelRef* out, Error* err, PathRule rule) {
  ModelRef r;
  r.text = std::string(text);
  if (text.empty()) return owlet::fail(err, ErrorKind::bad_request, "empty model name");
  if (has_control_char(text)) return fail(err, text, "contains a control character");
  if (text.substr(0, 5) == "hf://" || text.find("huggingface.co/") != std::string_view::npos ||
      text.substr(0, 14) == "https://hf.co/") {
    r.kind = ModelRef::Kind::hf;
    if (!parse_hf_ref(text, &r.hf, err)) return false;
    *out = std::move(r);
    return true;
  }
  if (text.find("://") != std::string_view::npos)
    return owlet::fail(err, ErrorKind::bad_request,
                       "unsupported model reference '" + std::string(text) +
                           "': use a path, an Ollama name or hf://owner/repo/file.gguf");
  bool path_like = spelled_like_path(text);
  if (!path_like && rule == PathRule::probe) {
    std::error_code ec;
    path_like = std::filesystem::is_regular_file(std::filesystem::path(std::string(text)), ec);
  }
  if (path_like) {
    r.kind = ModelRef::Kind::path;
    r.path = r.text;
    if (text[0] == '~' && (text.size() == 1 || text[1] == '/')) {
      const char* home = std::getenv("HOME");
      if (home) r.path = std::string(home) + r.path.substr(1);
    }
    *out = std::move(r);
    return true;
  }
  r.kind = ModelRef::Kind::ollama;
  if (!parse_ollama_name(text, &r.ollama, err)) return false;
  *out = std::move(r);
  return true;
}

}  // namespace owlet::models
