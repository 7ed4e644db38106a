#include "delivery/unsubscribe.h"

#include <algorithm>
#include <ctime>

#include "core/security.h"

namespace mw::delivery {

namespace {
constexpr std::int64_t kValidity = 10LL * 365 * 86400;  // links in old emails keep working
}

std::string unsubscribeLink(const Config& cfg, std::int64_t clientId, std::int64_t deliveryId) {
  std::string payload = std::to_string(clientId);
  if (deliveryId) payload += "." + std::to_string(deliveryId);
  return cfg.baseUrl + "/unsubscribe/" +
         security::signToken(cfg.secretKey, "unsubscribe", payload,
                             static_cast<std::int64_t>(std::time(nullptr)) + kValidity);
}

// "client" (links of earlier versions) or "client.delivery", both signed.
std::optional<UnsubscribeToken> readUnsubscribeToken(const Config& cfg, const std::string& token) {
  auto payload = security::verifySignedToken(cfg.secretKey, "unsubscribe", token,
                                             static_cast<std::int64_t>(std::time(nullptr)));
  if (!payload) return std::nullopt;
  try {
    auto dot = payload->find('.');
    UnsubscribeToken t;
    std::size_t used = 0;
    t.clientId = std::stoll(payload->substr(0, dot), &used);
    if (used != std::min(dot, payload->size())) return std::nullopt;
    if (dot != std::string::npos) {
      t.deliveryId = std::stoll(payload->substr(dot + 1), &used);
      if (used != payload->size() - dot - 1) return std::nullopt;
    }
    return t;
  } catch (...) {
    return std::nullopt;
  }
}

}  // namespace mw::delivery
