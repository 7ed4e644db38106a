#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "core/config.h"

namespace mw::delivery {

// A signed link that lets one recipient unsubscribe without logging in.
std::string unsubscribeLink(const Config& cfg, std::int64_t clientId);
std::optional<std::int64_t> clientFromUnsubscribeToken(const Config& cfg, const std::string& token);

}  // namespace mw::delivery
