#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace mw::web {

// Percent-decoding that refuses malformed input (`%zz`, a lone `%`): nullopt instead of a guess.
// With plusIsSpace, `+` is a space (query strings and form bodies).
std::optional<std::string> percentDecode(std::string_view in, bool plusIsSpace);

// name=value pairs separated by `&` (application/x-www-form-urlencoded and query strings);
// nullopt when any part is malformed.
std::optional<std::multimap<std::string, std::string>> parseUrlEncoded(std::string_view in);

}  // namespace mw::web
