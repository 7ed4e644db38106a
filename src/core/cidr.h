#pragma once
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mw {

// An IPv4 or IPv6 address; IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) count as IPv4.
struct IpAddress {
  bool v6 = false;
  std::array<unsigned char, 16> bytes{};  // the first 4 for IPv4
  static std::optional<IpAddress> parse(std::string_view text);
  std::string toString() const;
};

// A network such as 10.0.0.0/8 or fd00::/8; a bare address is a network of one.
struct Cidr {
  IpAddress network;
  int prefix = 0;
  static std::optional<Cidr> parse(std::string_view text);
  bool contains(const IpAddress& a) const;
};

// A comma- or space-separated list; throws std::runtime_error naming the first bad entry.
std::vector<Cidr> parseCidrList(std::string_view text, const std::string& settingName);

}  // namespace mw
