// Source text made safe to quote inside the context's data delimiters.
//
// Web text is untrusted: a page must not be able to close the sources block
// ("<<<END SOURCES>>>"), forge another numbered source on a line of its own
// ("\n[2] Official — ..."), or plant citation markers ("[3]", "【3】") that the
// answer's citation check would then map to the wrong source.
#pragma once

#include <string>
#include <string_view>

namespace owlet::answer {

// Returns `text` on one line: ill-formed UTF-8 repaired, control characters and
// line breaks turned into single spaces, runs of two or more angle brackets
// (ASCII, full-width or small forms) reduced to one "‹" or "›", and numeric
// bracket markers ("[12]", "[1, 2]", "【3】") removed.
std::string neutralize_source_text(std::string_view text);

}  // namespace owlet::answer
