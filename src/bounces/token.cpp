#include "bounces/token.h"

#include <algorithm>
#include <cctype>

#include "core/security.h"

namespace mw::bounces {
namespace {

constexpr std::size_t kSigHex = 20;  // 80 bits

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string signature(std::string_view secret, std::int64_t id) {
  auto mac = security::hmacSha256(secret, "verp\n" + std::to_string(id));
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < kSigHex / 2; ++i) {
    auto b = static_cast<unsigned char>(mac[i]);
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

}  // namespace

std::string deliveryToken(std::string_view secret, std::int64_t deliveryId) {
  return std::to_string(deliveryId) + "." + signature(secret, deliveryId);
}

std::optional<std::int64_t> deliveryOfToken(std::string_view secret, std::string_view token) {
  auto dot = token.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot > 18) return std::nullopt;
  auto digits = token.substr(0, dot);
  if (!std::all_of(digits.begin(), digits.end(),
                   [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }))
    return std::nullopt;
  std::int64_t id = std::stoll(std::string(digits));
  if (id <= 0) return std::nullopt;
  if (!security::constantTimeEquals(signature(secret, id), lower(token.substr(dot + 1))))
    return std::nullopt;
  return id;
}

std::string verpAddress(const std::string& bounceAddress, const std::string& token) {
  auto at = bounceAddress.rfind('@');
  if (at == std::string::npos) return bounceAddress;
  return bounceAddress.substr(0, at) + "+" + token + bounceAddress.substr(at);
}

std::string tokenOfVerp(const std::string& bounceAddress, std::string_view address) {
  auto at = bounceAddress.rfind('@');
  if (at == std::string::npos || address.size() > 320) return "";
  std::string a = lower(address);
  while (!a.empty() && (a.front() == '<' || a.front() == ' ')) a.erase(a.begin());
  while (!a.empty() && (a.back() == '>' || a.back() == ' ')) a.pop_back();
  std::string prefix = lower(bounceAddress.substr(0, at)) + "+";
  std::string suffix = lower(bounceAddress.substr(at));
  if (a.size() <= prefix.size() + suffix.size() || a.rfind(prefix, 0) != 0 ||
      a.compare(a.size() - suffix.size(), suffix.size(), suffix) != 0)
    return "";
  return a.substr(prefix.size(), a.size() - prefix.size() - suffix.size());
}

std::string deliveryMessageId(std::string_view secret, std::int64_t deliveryId,
                              const std::string& domain) {
  return "<mw." + deliveryToken(secret, deliveryId) + "@" + domain + ">";
}

std::string tokenOfMessageId(std::string_view messageId) {
  auto start = messageId.find("mw.");
  if (start == std::string_view::npos) return "";
  auto at = messageId.find('@', start);
  if (at == std::string_view::npos || at - start > 64) return "";
  return std::string(messageId.substr(start + 3, at - start - 3));
}

}  // namespace mw::bounces
