#pragma once
#include <string>

namespace mw::blog {

// Article text to safe HTML: everything escaped; blank lines make paragraphs, "# "/"## " lines
// headings, "- " lines lists, **bold** and *italic* inline. No raw HTML passes through.
std::string renderContent(const std::string& text);
// Plain-text excerpt of at most `chars` code points.
std::string excerpt(const std::string& text, std::size_t chars);

}  // namespace mw::blog
