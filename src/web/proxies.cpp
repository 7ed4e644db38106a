#include "web/proxies.h"

#include <optional>

namespace mw::web {
namespace {

bool trustedAddress(const std::vector<Cidr>& trusted, const IpAddress& a) {
  for (const auto& c : trusted)
    if (c.contains(a)) return true;
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The hops of every X-Forwarded-For header, in order (the nearest proxy's addition last).
std::vector<std::string_view> hops(const std::vector<std::string>& headers) {
  std::vector<std::string_view> out;
  for (const auto& h : headers) {
    std::string_view rest = h;
    while (true) {
      auto comma = rest.find(',');
      out.push_back(trim(rest.substr(0, comma)));
      if (comma == std::string_view::npos) break;
      rest = rest.substr(comma + 1);
    }
  }
  return out;
}

}  // namespace

ClientOrigin resolveClient(const std::vector<Cidr>& trusted, std::string_view peer,
                           const std::vector<std::string>& forwardedFor,
                           std::string_view forwardedProto) {
  ClientOrigin out;
  auto current = IpAddress::parse(peer);
  out.address = current ? current->toString() : std::string(peer);
  if (!current || !trustedAddress(trusted, *current)) return out;
  std::string_view proto = trim(forwardedProto.substr(0, forwardedProto.find(',')));
  out.https = proto == "https" || proto == "HTTPS";
  auto list = hops(forwardedFor);
  for (auto it = list.rbegin(); it != list.rend(); ++it) {
    auto hop = IpAddress::parse(*it);
    if (!hop) break;
    out.address = hop->toString();
    if (!trustedAddress(trusted, *hop)) break;
  }
  return out;
}

}  // namespace mw::web
