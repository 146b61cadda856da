// Turns page bytes in any common encoding into valid UTF-8.
// Order (as browsers do it): byte-order mark, Content-Type charset, <meta>
// charset in the first 4 KiB, valid UTF-8, ICU statistical detection, windows-1252.
#pragma once

#include <string>
#include <string_view>

namespace owlet::web {

struct DecodedText {
  std::string text;     // always valid UTF-8; undecodable bytes became U+FFFD
  std::string charset;  // the encoding used, ICU name (e.g. "GB18030", "UTF-8")
  std::string source;   // "bom", "header", "meta", "utf8", "detected", "default"
};

DecodedText decode_to_utf8(std::string_view bytes, std::string_view content_type);

// The charset parameter of a Content-Type value, lower case; "" if none.
std::string charset_from_content_type(std::string_view content_type);
// The charset declared by <meta charset> / <meta http-equiv> in an HTML prefix; "" if none.
std::string sniff_meta_charset(std::string_view html);
// Maps a web label ("gbk", "big5", "latin1"...) to the ICU converter that decodes
// it the way browsers do (WHATWG Encoding Standard); "" when unknown.
std::string normalize_charset_label(std::string_view label);

// Converts with ICU; invalid sequences become U+FFFD. `ok` is false when the
// converter does not exist.
std::string convert_to_utf8(std::string_view bytes, const std::string& icu_charset, bool* ok = nullptr);
// Copies valid UTF-8 and replaces each invalid sequence with U+FFFD.
std::string sanitize_utf8(std::string_view bytes);
bool is_valid_utf8(std::string_view bytes);

// True for media types worth decoding as text (text/*, html, xml, json, javascript).
bool is_textual_content_type(std::string_view content_type);

}  // namespace owlet::web
