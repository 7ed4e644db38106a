#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "web/platform.h"

namespace mw::messages {

// Names of the owner's mailings that use a message (set by the mailings domain).
using UsageLookup = std::function<std::vector<std::string>(std::int64_t owner, std::int64_t id)>;

void install(web::Platform& p, UsageLookup mailingsUsing);

}  // namespace mw::messages
