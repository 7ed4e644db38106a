#pragma once
#include <string>
#include <string_view>

namespace mw::web {

// A redirect target from input, made safe: a local path (`/` followed by anything but `/` or `\`,
// no control characters) is kept, anything else becomes "/". Browsers read `//host`, `/\host` and
// paths with tabs or line breaks in them as other sites or as more headers.
std::string localPath(std::string_view target);

// True when a value may go into a response header as it is: no control characters (CR, LF, NUL,
// tab and the rest below 0x20, and DEL), so it can neither end the header nor add another.
bool safeHeaderValue(std::string_view value);

}  // namespace mw::web
