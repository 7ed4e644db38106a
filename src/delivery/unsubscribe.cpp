#include "delivery/unsubscribe.h"

#include <ctime>

#include "core/security.h"

namespace mw::delivery {

namespace {
constexpr std::int64_t kValidity = 10LL * 365 * 86400;  // links in old emails keep working
}

std::string unsubscribeLink(const Config& cfg, std::int64_t clientId) {
  return cfg.baseUrl + "/unsubscribe/" +
         security::signToken(cfg.secretKey, "unsubscribe", std::to_string(clientId),
                             static_cast<std::int64_t>(std::time(nullptr)) + kValidity);
}

std::optional<std::int64_t> clientFromUnsubscribeToken(const Config& cfg,
                                                       const std::string& token) {
  auto payload = security::verifySignedToken(cfg.secretKey, "unsubscribe", token,
                                             static_cast<std::int64_t>(std::time(nullptr)));
  if (!payload) return std::nullopt;
  try {
    return std::stoll(*payload);
  } catch (...) {
    return std::nullopt;
  }
}

}  // namespace mw::delivery
