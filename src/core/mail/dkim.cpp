#include "core/mail/dkim.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

// The C header uses C99's _Bool, which C++ spells bool (the same type in the ABI).
#define _Bool bool
extern "C" {
#include <opendkim/dkim.h>
}
#undef _Bool

#include <stdexcept>
#include <vector>

namespace mw::mail::dkim {

namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::string base64(const unsigned char* data, int size) {
  std::string out(4 * ((static_cast<std::size_t>(size) + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, size);
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string privatePem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (!bio) throw std::runtime_error("DKIM key: out of memory");
  std::string out;
  if (PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr) == 1) {
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    out.assign(data, static_cast<std::size_t>(n));
  }
  BIO_free(bio);
  if (out.empty()) throw std::runtime_error("DKIM key: cannot write the private key");
  return out;
}

std::string publicValue(EVP_PKEY* key, Algorithm a) {
  if (a == Algorithm::Ed25519) {
    unsigned char raw[32];
    std::size_t len = sizeof raw;
    if (EVP_PKEY_get_raw_public_key(key, raw, &len) != 1)
      throw std::runtime_error("DKIM key: cannot read the Ed25519 public key");
    return base64(raw, static_cast<int>(len));
  }
  int n = i2d_PUBKEY(key, nullptr);
  if (n <= 0) throw std::runtime_error("DKIM key: cannot encode the public key");
  std::vector<unsigned char> der(static_cast<std::size_t>(n));
  unsigned char* p = der.data();
  i2d_PUBKEY(key, &p);
  return base64(der.data(), n);
}

// CRLF line ends for the library's LF-folded header, as in the rest of the message.
std::string crlf(const unsigned char* text, std::size_t len) {
  std::string out;
  out.reserve(len + 16);
  for (std::size_t i = 0; i < len; ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out += '\r';
    out += static_cast<char>(text[i]);
  }
  return out;
}

struct HandleFree {
  void operator()(DKIM* d) const { dkim_free(d); }
};

}  // namespace

bool parseAlgorithm(const std::string& name, Algorithm& out) {
  if (name == "rsa")
    out = Algorithm::Rsa;
  else if (name == "ed25519")
    out = Algorithm::Ed25519;
  else
    return false;
  return true;
}

const char* algorithmName(Algorithm a) {
  return a == Algorithm::Ed25519 ? "ed25519" : "rsa";
}

KeyPair generateKey(Algorithm a) {
  Pkey key(a == Algorithm::Ed25519 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
                                   : EVP_RSA_gen(2048));
  if (!key) throw std::runtime_error("DKIM key: OpenSSL could not generate the key");
  return {privatePem(key.get()), publicValue(key.get(), a)};
}

std::string dnsValue(Algorithm a, const std::string& publicKey) {
  return std::string("v=DKIM1; k=") + algorithmName(a) + "; p=" + publicKey;
}

Signer::Signer(std::string domain, std::string selector, Algorithm algorithm,
               std::string privatePem)
    : domain_(std::move(domain)),
      selector_(std::move(selector)),
      key_(std::move(privatePem)),
      algorithm_(algorithm) {
  if (algorithm_ == Algorithm::Ed25519) throw std::runtime_error(kEd25519Refusal);
  // Checked here once: libopendkim parses the key again for every message, and leaks 64 bytes
  // each time it fails to (LeakSanitizer).
  BIO* bio = BIO_new_mem_buf(key_.data(), static_cast<int>(key_.size()));
  Pkey parsed(bio ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : nullptr);
  BIO_free(bio);
  if (!parsed || EVP_PKEY_get_base_id(parsed.get()) != EVP_PKEY_RSA)
    throw std::runtime_error("DKIM: the private key is not an RSA key in PEM form");
  lib_ = dkim_init(nullptr, nullptr);
  if (!lib_) throw std::runtime_error("DKIM: libopendkim could not start");
}

Signer::~Signer() {
  if (lib_) dkim_close(lib_);
}

std::string Signer::signatureHeader(const std::string& message) const {
  DKIM_STAT stat = DKIM_STAT_OK;
  auto u = [](const std::string& s) { return reinterpret_cast<const unsigned char*>(s.c_str()); };
  dkim_alg_t alg = algorithm_ == Algorithm::Ed25519 ? DKIM_SIGN_ED25519SHA256 : DKIM_SIGN_RSASHA256;
  std::unique_ptr<DKIM, HandleFree> d(
      dkim_sign(lib_, u("mailwright"), nullptr, const_cast<unsigned char*>(u(key_)), u(selector_),
                u(domain_), DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, alg, -1, &stat));
  if (!d) throw std::runtime_error(std::string("DKIM: ") + dkim_getresultstr(stat));
  auto fail = [&](const char* step) {
    const char* why = dkim_geterror(d.get());
    throw std::runtime_error(std::string("DKIM ") + step + ": " +
                             (why && *why ? why : dkim_getresultstr(stat)));
  };
  std::string copy = message;  // the library takes non-const buffers
  stat = dkim_chunk(d.get(), reinterpret_cast<unsigned char*>(copy.data()), copy.size());
  if (stat != DKIM_STAT_OK) fail("parse");
  stat = dkim_chunk(d.get(), nullptr, 0);
  if (stat != DKIM_STAT_OK) fail("parse");
  stat = dkim_eom(d.get(), nullptr);
  if (stat != DKIM_STAT_OK) fail("sign");
  static constexpr char kName[] = "DKIM-Signature: ";
  unsigned char* hdr = nullptr;
  std::size_t len = 0;
  stat = dkim_getsighdr_d(d.get(), sizeof kName - 1, &hdr, &len);
  if (stat != DKIM_STAT_OK || !hdr) fail("header");
  return kName + crlf(hdr, len) + "\r\n";
}

}  // namespace mw::mail::dkim
