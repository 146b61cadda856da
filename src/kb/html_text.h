// Built-in HTML-to-text fallback so `kb` can ingest .html on its own. The app
// injects web's real extractor (IngestOptions::html_to_text); this one only strips
// tags, drops script/style/nav/header/footer/aside/noscript/template, decodes common
// entities, and turns block elements into paragraph breaks.
#pragma once

#include <string>
#include <string_view>

namespace owlet::kb {

// Returns the visible text; *title (if given) receives the <title> text.
std::string html_to_text_basic(std::string_view html, std::string* title = nullptr);

}  // namespace owlet::kb
