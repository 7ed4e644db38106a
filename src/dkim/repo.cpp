#include "dkim/repo.h"

namespace mw::dkim {

std::optional<std::int64_t> Repo::add(const StoredKey& k) {
  db::Tx tx(c_);
  if (c_.one("SELECT id FROM dkim_keys\n"
             "WHERE domain = $1\n"
             "AND selector = $2",
             {k.domain, k.selector}))
    return std::nullopt;
  std::int64_t id = c_.insert(
      "INSERT INTO dkim_keys (domain, selector, algorithm, private_key, public_key, created_at)\n"
      "VALUES ($1, $2, $3, $4, $5, $6)\n"
      "RETURNING id",
      {k.domain, k.selector, k.algorithm, k.sealedPrivateKey, k.publicKey, k.createdAt});
  tx.commit();
  return id;
}

std::vector<StoredKey> Repo::list() {
  std::vector<StoredKey> out;
  for (const auto& r :
       c_.query("SELECT id, domain, selector, algorithm, private_key, public_key, created_at\n"
                "FROM dkim_keys\n"
                "ORDER BY domain ASC, id DESC"))
    out.push_back({r["id"].i(), r["domain"].s(), r["selector"].s(), r["algorithm"].s(),
                   r["private_key"].s(), r["public_key"].s(), r["created_at"].i()});
  return out;
}

bool Repo::remove(const std::string& domain, const std::string& selector) {
  return c_.exec(
             "DELETE FROM dkim_keys\n"
             "WHERE domain = $1\n"
             "AND selector = $2",
             {domain, selector}) > 0;
}

bool Repo::removeId(std::int64_t id) {
  return c_.exec(
             "DELETE FROM dkim_keys\n"
             "WHERE id = $1",
             {id}) > 0;
}

}  // namespace mw::dkim
