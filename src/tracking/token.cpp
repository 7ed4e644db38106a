#include "tracking/token.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "core/security.h"

namespace mw::tracking {
namespace {

constexpr char kVersion = 1;
constexpr std::size_t kPayload = 2 + 3 * 8;  // version, kind, three 64-bit numbers
constexpr std::size_t kMac = 16;             // 128 bits of HMAC-SHA256: forging is hopeless

void putInt(std::string& out, std::int64_t v) {
  auto u = static_cast<std::uint64_t>(v);
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(u >> shift));
}

std::int64_t getInt(std::string_view in) {
  std::uint64_t u = 0;
  for (unsigned char ch : in.substr(0, 8)) u = (u << 8) | ch;
  return static_cast<std::int64_t>(u);
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

std::string tokenKey(std::string_view secretKey) {
  return security::hmacSha256(secretKey, "mailwright tracking tokens v1");
}

std::string makeToken(std::string_view key, const TokenData& d) {
  std::string raw;
  raw.reserve(kPayload + kMac);
  raw.push_back(kVersion);
  raw.push_back(d.kind);
  putInt(raw, d.deliveryId);
  putInt(raw, d.mailingId);
  putInt(raw, d.extra);
  raw += security::hmacSha256(key, raw).substr(0, kMac);
  return security::base64UrlEncode(raw);
}

std::optional<TokenData> readToken(std::string_view key, std::string_view token, char kind) {
  if (token.size() > 100) return std::nullopt;
  auto raw = security::base64UrlDecode(token);
  if (!raw || raw->size() != kPayload + kMac) return std::nullopt;
  std::string_view payload(raw->data(), kPayload);
  if (payload[0] != kVersion || payload[1] != kind) return std::nullopt;
  auto mac = security::hmacSha256(key, payload).substr(0, kMac);
  if (!security::constantTimeEquals(mac, std::string_view(*raw).substr(kPayload)))
    return std::nullopt;
  TokenData d;
  d.kind = kind;
  d.deliveryId = getInt(payload.substr(2));
  d.mailingId = getInt(payload.substr(10));
  d.extra = getInt(payload.substr(18));
  if (d.deliveryId <= 0 || d.mailingId <= 0) return std::nullopt;
  return d;
}

bool isMachineUserAgent(std::string_view userAgent) {
  std::string ua = lower(userAgent);
  while (!ua.empty() && std::isspace(static_cast<unsigned char>(ua.back()))) ua.pop_back();
  if (ua.empty() || ua == "mozilla/5.0") return true;
  for (const char* marker : {"googleimageproxy", "ggpht.com", "yahoomailproxy"})
    if (ua.find(marker) != std::string::npos) return true;
  return false;
}

}  // namespace mw::tracking
