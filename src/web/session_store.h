#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/db.h"

namespace mw::web {

struct Flash {
  std::string level;  // success, danger, warning, info
  std::string text;
};

// The one owner of the sessions table. A row exists only for a signed-in session: anonymous
// visitors carry a random id (for their CSRF token) and their flashes in signed cookies, so
// requests without a cookie cost no row.
class SessionStore {
 public:
  SessionStore(db::Database& db, const std::string& secret);

  static std::string newId();                   // 32 random bytes, base64url
  static bool validId(const std::string& sid);  // the shape newId() makes
  std::string csrfFor(const std::string& sid) const;

  // The user of a live session, 0 when there is none (an expired row is deleted on the way).
  std::int64_t userOf(const std::string& sid);
  void create(const std::string& sid, std::int64_t userId, bool remember);
  void destroy(const std::string& sid);
  void destroyAllOf(std::int64_t userId);
  // The same on a connection the caller holds (inside its transaction).
  static void destroyAllOf(db::Conn& c, std::int64_t userId);
  // Rows past their expiry; returns how many went.
  int purgeExpired(std::int64_t now);

  // Flashes as a signed cookie value ("" for none) and back (empty when forged or damaged).
  std::string encodeFlashes(const std::vector<Flash>& flashes) const;
  std::vector<Flash> decodeFlashes(const std::string& cookie) const;

  static constexpr std::int64_t kSessionSeconds = 86400;
  static constexpr std::int64_t kRememberSeconds = 30 * 86400;

 private:
  db::Database& db_;
  std::string key_;  // HMAC key derived from SECRET_KEY
  std::string mac(const std::string& purpose, const std::string& value) const;
  std::string rowKey(const std::string& sid) const;  // what the table stores instead of the id
};

}  // namespace mw::web
