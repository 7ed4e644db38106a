#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/db.h"

namespace mw::dkim {

// One row of dkim_keys; privateKey is sealed (core/security.h seal()).
struct StoredKey {
  std::int64_t id = 0;
  std::string domain, selector, algorithm;
  std::string sealedPrivateKey;
  std::string publicKey;
  std::int64_t createdAt = 0;
};

// The only SQL on dkim_keys.
class Repo {
 public:
  explicit Repo(db::Conn& c) : c_(c) {}
  // nullopt when the domain already has that selector.
  std::optional<std::int64_t> add(const StoredKey& k);
  // By domain, then newest first: the first key of a domain is the one that signs.
  std::vector<StoredKey> list();
  bool remove(const std::string& domain, const std::string& selector);
  bool removeId(std::int64_t id);

 private:
  db::Conn& c_;
};

}  // namespace mw::dkim
