#include "dkim/keys.h"

#include <Poco/String.h>

#include <ctime>

#include "core/mail/dkim.h"
#include "core/security.h"

namespace mw::dkim {

std::optional<std::string> normalDomain(const std::string& text) {
  std::string d = Poco::toLower(Poco::trim(text));
  if (d.empty() || d.size() > 253) return std::nullopt;
  std::size_t label = 0;
  for (std::size_t i = 0; i <= d.size(); ++i) {
    if (i == d.size() || d[i] == '.') {
      if (label == 0 || label > 63 || d[i - 1] == '-' || d[i - label] == '-') return std::nullopt;
      label = 0;
      continue;
    }
    char ch = d[i];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-')) return std::nullopt;
    ++label;
  }
  return d;
}

std::string recordName(const StoredKey& k) {
  return k.selector + "._domainkey." + k.domain;
}

std::string recordValue(const StoredKey& k) {
  mail::dkim::Algorithm alg = mail::dkim::Algorithm::Rsa;
  mail::dkim::parseAlgorithm(k.algorithm, alg);
  std::string value = mail::dkim::dnsValue(alg, k.publicKey);
  std::string out;
  for (std::size_t i = 0; i < value.size(); i += 255)
    out += (out.empty() ? "\"" : " \"") + value.substr(i, 255) + "\"";
  return out;
}

std::optional<StoredKey> createKey(db::Conn& c, const std::string& secretKey,
                                   const std::string& domain, const std::string& selector,
                                   const std::string& algorithm) {
  mail::dkim::Algorithm alg{};
  if (!mail::dkim::parseAlgorithm(algorithm, alg))
    throw std::runtime_error("unknown algorithm '" + algorithm + "' (rsa or ed25519)");
  auto pair = mail::dkim::generateKey(alg);
  StoredKey k{0,
              domain,
              selector,
              mail::dkim::algorithmName(alg),
              security::seal(secretKey, pair.privatePem),
              pair.publicKey,
              static_cast<std::int64_t>(std::time(nullptr))};
  auto id = Repo(c).add(k);
  if (!id) return std::nullopt;
  k.id = *id;
  return k;
}

}  // namespace mw::dkim
