#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "core/cidr.h"

namespace mw::web {

struct ClientOrigin {
  std::string address;  // the client as far as trusted proxies vouch for it
  bool https = false;   // X-Forwarded-Proto: https from a trusted proxy
};

// Only a peer inside TRUSTED_PROXIES is believed: X-Forwarded-For is walked from the right while
// the hops are trusted, and the first untrusted (or unreadable-before) hop is the client. From any
// other peer both headers are ignored, so nobody picks the address the rate limits count.
ClientOrigin resolveClient(const std::vector<Cidr>& trusted, std::string_view peer,
                           const std::vector<std::string>& forwardedFor,
                           std::string_view forwardedProto);

}  // namespace mw::web
