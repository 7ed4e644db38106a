#include "dkim/keyring.h"

#include <Poco/String.h>

#include <chrono>

#include "core/log.h"
#include "core/mail/smtp.h"
#include "core/security.h"
#include "dkim/repo.h"

namespace mw::dkim {

namespace {

double steadySeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

KeyRing::KeyRing(db::Database& db, std::string secretKey, double refreshSeconds)
    : db_(db), secretKey_(std::move(secretKey)), refreshSeconds_(refreshSeconds) {}

void KeyRing::reportOnce(const std::string& event, const std::string& domain,
                         const std::string& selector, const std::string& reason) {
  if (!reported_.insert(domain + "/" + selector + "/" + event).second) return;
  log::error(event, {{"domain", domain}, {"selector", selector}, {"reason", reason}});
}

void KeyRing::reload() {
  std::vector<StoredKey> keys;
  try {
    auto c = db_.conn();
    keys = Repo(c).list();
  } catch (const std::exception& e) {
    // Keep signing with what was loaded; the next try comes after the same interval.
    log::warn("dkim keys not reloaded", {{"reason", e.what()}});
    return;
  }
  std::map<std::string, Entry> next;
  for (const auto& k : keys) {
    if (next.count(k.domain)) continue;  // an older key of a domain already served
    // The same key keeps its signer (and its library handle) across reloads.
    auto old = signers_.find(k.domain);
    if (old != signers_.end() && old->second.keyId == k.id) {
      next[k.domain] = old->second;
      continue;
    }
    mail::dkim::Algorithm alg{};
    if (!mail::dkim::parseAlgorithm(k.algorithm, alg)) {
      reportOnce("dkim key unusable", k.domain, k.selector, "unknown algorithm " + k.algorithm);
      continue;
    }
    auto pem = security::unseal(secretKey_, k.sealedPrivateKey);
    if (!pem) {
      reportOnce("dkim key cannot be unsealed", k.domain, k.selector,
                 "sealed under another SECRET_KEY or altered: messages go out unsigned");
      continue;
    }
    try {
      next[k.domain] = {k.id,
                        std::make_shared<mail::dkim::Signer>(k.domain, k.selector, alg, *pem)};
    } catch (const std::exception& e) {
      reportOnce("dkim key unusable", k.domain, k.selector, e.what());
    }
  }
  signers_ = std::move(next);
}

KeyRing::SignerPtr KeyRing::signerFor(const std::string& domain) {
  std::lock_guard lock(mutex_);
  double now = steadySeconds();
  if (!loaded_ || now - loadedAt_ >= refreshSeconds_) {
    reload();
    loaded_ = true;
    loadedAt_ = now;
  }
  auto it = signers_.find(domain);
  return it == signers_.end() ? nullptr : it->second.signer;
}

std::string KeyRing::sign(const std::string& fromEmail, std::string message) {
  std::string domain = mail::addressDomain(fromEmail);
  SignerPtr signer = domain.empty() ? nullptr : signerFor(domain);
  if (!signer) return message;
  try {
    return signer->signatureHeader(message) + message;
  } catch (const std::exception& e) {
    std::lock_guard lock(mutex_);
    reportOnce("dkim signing failed", signer->domain(), signer->selector(), e.what());
    return message;
  }
}

}  // namespace mw::dkim
