#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mw::tracking {

// What a tracking token stands for. Opens carry the send time (a proxy's prefetch comes within
// seconds of it, and the pixel's request then needs no read); clicks carry the link's id, so the
// redirect's target is always a stored URL, never one from the request.
struct TokenData {
  char kind = 'o';  // 'o' open, 'c' click
  std::int64_t deliveryId = 0;
  std::int64_t mailingId = 0;
  std::int64_t extra = 0;  // open: sent at (epoch seconds); click: link id
};

// The HMAC key of tracking tokens, derived from SECRET_KEY for this purpose only.
std::string tokenKey(std::string_view secretKey);
// base64url(version, kind, ids as 8 bytes big-endian, first 16 bytes of HMAC-SHA256): 56
// characters, no personal data; ids are signed, so none can be guessed or altered.
std::string makeToken(std::string_view key, const TokenData& data);
// nullopt when the token is malformed, of another kind or its signature does not match.
std::optional<TokenData> readToken(std::string_view key, std::string_view token, char kind);

// Known mail-proxy prefetchers by user agent: Google's image proxy, Yahoo's, Apple Mail Privacy
// Protection (which sends the bare "Mozilla/5.0"), and no user agent at all.
bool isMachineUserAgent(std::string_view userAgent);

}  // namespace mw::tracking
