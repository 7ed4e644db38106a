#pragma once
#include <cstddef>
#include <string>

namespace mw::web {

// Trimmed, with control characters (but newlines when multiline) removed.
std::string clean(const std::string& s, bool multiline = false);
// Number of Unicode code points in UTF-8 text.
std::size_t utf8Length(const std::string& s);
bool validUtf8(const std::string& s);

}  // namespace mw::web
