#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mw::bounces {

// A delivery's token: "<id>.<20 hex of HMAC-SHA256(secret, "verp\n" + id)>", lower case (some
// MTAs fold the local part's case) and 80 bits unguessable. It names the delivery in the
// envelope sender (VERP) and in the Message-ID, so a report maps back to it.
std::string deliveryToken(std::string_view secret, std::int64_t deliveryId);
// The delivery id of a token signed with secret; nullopt for a forged or altered one.
std::optional<std::int64_t> deliveryOfToken(std::string_view secret, std::string_view token);

// "bounces@example.com" + token -> "bounces+TOKEN@example.com".
std::string verpAddress(const std::string& bounceAddress, const std::string& token);
// The token of a VERP address of bounceAddress (any case), "" when it is not one.
std::string tokenOfVerp(const std::string& bounceAddress, std::string_view address);

// "<mw.TOKEN@domain>": a Message-ID naming its delivery.
std::string deliveryMessageId(std::string_view secret, std::int64_t deliveryId,
                              const std::string& domain);
// The token inside such a Message-ID (with or without <>), "" otherwise.
std::string tokenOfMessageId(std::string_view messageId);

}  // namespace mw::bounces
