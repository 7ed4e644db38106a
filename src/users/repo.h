#pragma once
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/db.h"

namespace mw::users {

struct User {
  std::int64_t id = 0;
  std::string email;
  std::string username;
  std::string passwordHash;
  std::string name;
  std::string phone;
  std::string country;
  std::string avatar;  // file name under uploads/avatars, "" when none
  std::string language;
  std::string timezone;
  bool verified = false;
  bool blocked = false;
  std::int64_t createdAt = 0;
  std::optional<std::int64_t> lastLoginAt;
  std::set<std::string> roles;
  std::string displayName() const {
    return name.empty() ? (username.empty() ? email : username) : name;
  }
};

struct ApiToken {
  std::int64_t id = 0;
  std::string name;
  std::string prefix;
  std::int64_t createdAt = 0;
  std::optional<std::int64_t> lastUsedAt;
};

// Roles besides the implicit "user".
const std::vector<std::string>& assignableRoles();

// All SQL of the users domain.
class Repo {
 public:
  explicit Repo(db::Conn& c) : c_(c) {}

  std::optional<User> byId(std::int64_t id);
  std::optional<User> byEmail(const std::string& email);
  std::optional<User> byLogin(const std::string& emailOrUsername);
  bool emailTaken(const std::string& email, std::int64_t exceptId = 0);
  bool usernameTaken(const std::string& username, std::int64_t exceptId = 0);
  std::int64_t create(const std::string& email, const std::string& username,
                      const std::string& name, const std::string& passwordHash, bool verified);
  void updateProfile(const User& u);  // name, phone, country, language, timezone, username
  void setEmail(std::int64_t id, const std::string& email);
  void setAvatar(std::int64_t id, const std::string& file);
  void setPassword(std::int64_t id, const std::string& hash);
  void setVerified(std::int64_t id);
  void setBlocked(std::int64_t id, bool blocked);
  void setLanguage(std::int64_t id, const std::string& lang);
  void touchLogin(std::int64_t id);
  void remove(std::int64_t id);

  std::set<std::string> roles(std::int64_t id);
  void grant(std::int64_t id, const std::string& role);
  void revoke(std::int64_t id, const std::string& role);

  std::vector<std::string> adminEmails();  // active admins, for notifications
  std::vector<User> list(const std::string& search, int offset, int limit);
  std::int64_t count(const std::string& search);

  std::string createToken(std::int64_t userId, const std::string& name);  // the plain token
  std::vector<ApiToken> tokens(std::int64_t userId);
  bool revokeToken(std::int64_t userId, std::int64_t tokenId);
  std::optional<std::int64_t> userIdByToken(const std::string& plain);

  // Single-use links: false when this token was used before.
  bool consumeLink(const std::string& token, std::int64_t expiresAt);

  int recentFailures(const std::string& key, std::int64_t since);
  // Seconds until the key has fewer than max failures in the window, 0 when it has already.
  std::int64_t lockedFor(const std::string& key, int max, std::int64_t window, std::int64_t now);
  void addFailure(const std::string& key);
  void clearFailures(const std::string& key);
  // The failures recorded before that time and the used links past their expiry.
  void purgeExpired(std::int64_t failuresBefore);

 private:
  db::Conn& c_;
  std::optional<User> one(const std::string& where, const db::Params& params);
};

}  // namespace mw::users
