#include "core/security.h"

#include <sodium.h>

#include <array>
#include <mutex>
#include <optional>
#include <stdexcept>

namespace mw::security {
namespace {

constexpr unsigned long long kOps = 2;
constexpr std::size_t kMem = 19 * 1024 * 1024;

void init() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  });
}

}  // namespace

std::string hashPassword(std::string_view password) {
  init();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), kOps, kMem,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw std::runtime_error("out of memory while hashing a password");
  return out;
}

bool verifyPassword(std::string_view password, const std::string& hash) {
  init();
  if (hash.empty()) return false;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

bool needsRehash(const std::string& hash) {
  init();
  return crypto_pwhash_str_needs_rehash(hash.c_str(), kOps, kMem) != 0;
}

std::string base64UrlEncode(std::string_view data) {
  init();
  std::string out(sodium_base64_ENCODED_LEN(data.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                  '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(data.data()),
                    data.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

std::optional<std::string> base64UrlDecode(std::string_view text) {
  init();
  std::string out(text.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
    return std::nullopt;
  out.resize(len);
  return out;
}

std::string randomToken(std::size_t bytes) {
  init();
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  return base64UrlEncode(raw);
}

bool constantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string sha256Hex(std::string_view data) {
  init();
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  char hex[sizeof h * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, h, sizeof h);
  return hex;
}

std::string hmacSha256(std::string_view key, std::string_view message) {
  init();
  // The keyed state (2 of the ~5 SHA-256 blocks of a short MAC) is kept per thread for the last
  // two keys: a sender's message takes 4 or more MACs under SECRET_KEY and the tracking key,
  // which were 6% of its CPU (perf, bench_delivery).
  struct Keyed {
    std::string key;
    crypto_auth_hmacsha256_state state;
  };
  thread_local std::array<std::optional<Keyed>, 2> keyed;
  thread_local std::size_t next = 0;
  const Keyed* found = nullptr;
  for (const auto& k : keyed)
    if (k && k->key == key) found = &*k;
  if (!found) {
    auto& slot = keyed[next++ % keyed.size()];
    slot.emplace();
    slot->key = std::string(key);
    crypto_auth_hmacsha256_init(&slot->state, reinterpret_cast<const unsigned char*>(key.data()),
                                key.size());
    found = &*slot;
  }
  crypto_auth_hmacsha256_state st = found->state;
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  std::string mac(crypto_auth_hmacsha256_BYTES, '\0');
  crypto_auth_hmacsha256_final(&st, reinterpret_cast<unsigned char*>(mac.data()));
  return mac;
}

std::string signToken(std::string_view secret, std::string_view purpose, std::string_view payload,
                      std::int64_t expiresAt) {
  std::string body = base64UrlEncode(payload) + "." + std::to_string(expiresAt);
  std::string mac = hmacSha256(secret, std::string(purpose) + "\n" + body);
  return body + "." + base64UrlEncode(mac);
}

std::optional<std::string> verifySignedToken(std::string_view secret, std::string_view purpose,
                                             std::string_view token, std::int64_t now) {
  auto last = token.rfind('.');
  if (last == std::string_view::npos) return std::nullopt;
  std::string_view body = token.substr(0, last);
  auto dot = body.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  std::string expected =
      base64UrlEncode(hmacSha256(secret, std::string(purpose) + "\n" + std::string(body)));
  if (!constantTimeEquals(expected, token.substr(last + 1))) return std::nullopt;
  std::int64_t expires = 0;
  try {
    size_t used = 0;
    std::string e(body.substr(dot + 1));
    expires = std::stoll(e, &used);
    if (used != e.size()) return std::nullopt;
  } catch (...) {
    return std::nullopt;
  }
  if (expires < now) return std::nullopt;
  return base64UrlDecode(body.substr(0, dot));
}

namespace {

// A key of its own for sealing: a leaked sealing key signs no session or link, and the reverse.
std::string sealingKey(std::string_view secretKey) {
  init();
  static constexpr std::string_view kPurpose = "mailwright seal v1";
  std::string key(crypto_secretbox_KEYBYTES, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(key.data()), key.size(),
                     reinterpret_cast<const unsigned char*>(kPurpose.data()), kPurpose.size(),
                     reinterpret_cast<const unsigned char*>(secretKey.data()), secretKey.size());
  return key;
}

}  // namespace

std::string seal(std::string_view secretKey, std::string_view plaintext) {
  std::string key = sealingKey(secretKey);
  std::string out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plaintext.size(), '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES,
                        reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
                        nonce, reinterpret_cast<const unsigned char*>(key.data()));
  sodium_memzero(key.data(), key.size());
  return "v1." + base64UrlEncode(out);
}

std::optional<std::string> unseal(std::string_view secretKey, std::string_view sealed) {
  if (sealed.substr(0, 3) != "v1.") return std::nullopt;
  auto raw = base64UrlDecode(sealed.substr(3));
  if (!raw || raw->size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
    return std::nullopt;
  std::string key = sealingKey(secretKey);
  const auto* nonce = reinterpret_cast<const unsigned char*>(raw->data());
  std::size_t cipherSize = raw->size() - crypto_secretbox_NONCEBYTES;
  std::string plain(cipherSize - crypto_secretbox_MACBYTES, '\0');
  int rc = crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()),
                                      nonce + crypto_secretbox_NONCEBYTES, cipherSize, nonce,
                                      reinterpret_cast<const unsigned char*>(key.data()));
  sodium_memzero(key.data(), key.size());
  if (rc != 0) return std::nullopt;
  return plain;
}

}  // namespace mw::security
