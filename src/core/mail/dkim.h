#pragma once
#include <memory>
#include <string>

struct dkim_lib;  // libopendkim's DKIM_LIB

namespace mw::mail::dkim {

enum class Algorithm { Rsa, Ed25519 };

// "rsa" / "ed25519" (the k= tag of the DNS record); false for anything else.
bool parseAlgorithm(const std::string& name, Algorithm& out);
const char* algorithmName(Algorithm a);

struct KeyPair {
  std::string privatePem;  // PKCS#8 PEM
  // The p= value: base64 of the DER SubjectPublicKeyInfo (RSA, RFC 6376 3.6.1) or of the raw
  // 32-byte key (Ed25519, RFC 8463 4).
  std::string publicKey;
};

// A new key: RSA 2048 (RFC 8301 requires at least 1024, 2048 is what receivers expect) or
// Ed25519. Throws std::runtime_error when OpenSSL fails.
KeyPair generateKey(Algorithm a);
// `v=DKIM1; k=rsa; p=...`, the TXT value to publish at SELECTOR._domainkey.DOMAIN.
std::string dnsValue(Algorithm a, const std::string& publicKey);

// Signs raw RFC 5322 messages (CRLF line ends, as the recipient gets them) for one
// domain/selector/key with libopendkim: relaxed/relaxed, rsa-sha256 or ed25519-sha256, the
// library's default list of signed headers (From, To, Subject, Date, Message-ID, MIME and List-*
// headers...). Knows nothing about where keys come from. Thread-safe: every message gets its own
// handle on the shared library handle.
// Ed25519 is refused (kEd25519Refusal): Debian 12's libopendkim 2.11.0~beta2 signs correctly
// (python3-dkim verifies it) but leaks the loaded key of every ed25519 signature, ~1.2 KB a
// message under LeakSanitizer (dkim_privkey_load's EVP_PKEY is never freed).
class Signer {
 public:
  static constexpr const char* kEd25519Refusal =
      "ed25519 signing is not available: Debian 12's libopendkim leaks memory on every ed25519 "
      "signature; use rsa";
  // Throws std::runtime_error when the key is not an RSA PEM key, the library cannot start, and
  // for Ed25519.
  Signer(std::string domain, std::string selector, Algorithm algorithm, std::string privatePem);
  ~Signer();
  Signer(const Signer&) = delete;
  Signer& operator=(const Signer&) = delete;

  // "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; ...\r\n", folded with CRLF + tab,
  // to put in front of the message. Throws std::runtime_error with the library's reason.
  std::string signatureHeader(const std::string& message) const;
  // The message with its signature header first.
  std::string sign(const std::string& message) const { return signatureHeader(message) + message; }
  const std::string& domain() const { return domain_; }
  const std::string& selector() const { return selector_; }

 private:
  std::string domain_, selector_, key_;
  Algorithm algorithm_;
  dkim_lib* lib_ = nullptr;
};

}  // namespace mw::mail::dkim
