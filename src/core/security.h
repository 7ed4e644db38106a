#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mw::security {

// argon2id (libsodium), 19 MiB and 2 passes: OWASP's minimum, quick enough for tests.
std::string hashPassword(std::string_view password);
bool verifyPassword(std::string_view password, const std::string& hash);
bool needsRehash(const std::string& hash);

std::string randomToken(std::size_t bytes = 32);  // base64url, no padding
bool constantTimeEquals(std::string_view a, std::string_view b);
std::string sha256Hex(std::string_view data);
std::string hmacSha256(std::string_view key, std::string_view message);  // raw bytes
std::string base64UrlEncode(std::string_view data);
std::optional<std::string> base64UrlDecode(std::string_view text);

// "payload.expires.signature", all URL-safe; the purpose is signed too, so a verification link
// cannot be used as a reset link.
std::string signToken(std::string_view secret, std::string_view purpose, std::string_view payload,
                      std::int64_t expiresAt);
std::optional<std::string> verifySignedToken(std::string_view secret, std::string_view purpose,
                                             std::string_view token, std::int64_t now);

// Secrets kept in the database (relay passwords, DKIM private keys): XSalsa20-Poly1305
// (libsodium's secretbox) under a key derived from SECRET_KEY for that purpose, as
// "v1." + base64url(nonce || ciphertext). unseal() gives nullopt for a wrong key or altered text.
std::string seal(std::string_view secretKey, std::string_view plaintext);
std::optional<std::string> unseal(std::string_view secretKey, std::string_view sealed);

}  // namespace mw::security
