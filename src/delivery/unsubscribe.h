#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "core/config.h"

namespace mw::delivery {

// Whom a link unsubscribes, and the delivery whose message carried it (0 for a test send, and
// for links sent before they named it): the reports count the unsubscription for that message.
struct UnsubscribeToken {
  std::int64_t clientId = 0;
  std::int64_t deliveryId = 0;
};

// A signed link that lets one recipient unsubscribe without logging in.
std::string unsubscribeLink(const Config& cfg, std::int64_t clientId, std::int64_t deliveryId);
std::optional<UnsubscribeToken> readUnsubscribeToken(const Config& cfg, const std::string& token);

}  // namespace mw::delivery
