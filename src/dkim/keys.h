#pragma once
#include <optional>
#include <string>

#include "core/db.h"
#include "dkim/repo.h"

namespace mw::dkim {

// The checks on what an admin types: a host name of letters, digits and hyphens in dot-separated
// labels of 1-63 characters, 253 at most in all (RFC 1035 2.3.4); the selector follows the same
// rule (RFC 6376 3.1). Lower-cased; nullopt when invalid.
std::optional<std::string> normalDomain(const std::string& text);

// `S._domainkey.D`
std::string recordName(const StoredKey& k);
// `"v=DKIM1; k=rsa; p=..."`, split into quoted strings of at most 255 characters (a TXT string's
// limit, RFC 1035 3.3.14; an RSA-2048 record is ~410): resolvers join them.
std::string recordValue(const StoredKey& k);

// Generates a key (algorithm "rsa" or "ed25519"), seals it under secretKey and stores it.
// nullopt when the domain already has that selector. Throws std::runtime_error when OpenSSL fails.
std::optional<StoredKey> createKey(db::Conn& c, const std::string& secretKey,
                                   const std::string& domain, const std::string& selector,
                                   const std::string& algorithm);

}  // namespace mw::dkim
