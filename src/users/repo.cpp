#include "users/repo.h"

#include <algorithm>
#include <ctime>

#include "core/security.h"

namespace mw::users {
namespace {

constexpr const char* kColumns =
    "id, email, COALESCE(username, '') AS username, password_hash, name, phone, country, avatar, "
    "language, timezone, is_verified, is_blocked, created_at, last_login_at";

User fromRow(const db::Row& r) {
  User u;
  u.id = r["id"].i();
  u.email = r["email"].s();
  u.username = r["username"].s();
  u.passwordHash = r["password_hash"].s();
  u.name = r["name"].s();
  u.phone = r["phone"].s();
  u.country = r["country"].s();
  u.avatar = r["avatar"].s();
  u.language = r["language"].s();
  u.timezone = r["timezone"].s();
  u.verified = r["is_verified"].b();
  u.blocked = r["is_blocked"].b();
  u.createdAt = r["created_at"].i();
  u.lastLoginAt = r["last_login_at"].opt();
  return u;
}

long long now() {
  return static_cast<long long>(std::time(nullptr));
}

}  // namespace

const std::vector<std::string>& assignableRoles() {
  static const std::vector<std::string> roles{"manager", "content_manager", "admin"};
  return roles;
}

std::optional<User> Repo::one(const std::string& where, const db::Params& params) {
  auto row = c_.one(std::string("SELECT ") + kColumns + " FROM users WHERE " + where, params);
  if (!row) return std::nullopt;
  User u = fromRow(*row);
  u.roles = roles(u.id);
  return u;
}

std::optional<User> Repo::byId(std::int64_t id) {
  return one("id = $1", {id});
}

std::optional<User> Repo::byEmail(const std::string& email) {
  return one("email = $1", {email});
}

std::optional<User> Repo::byLogin(const std::string& login) {
  if (login.find('@') != std::string::npos) return byEmail(login);
  return one("LOWER(username) = LOWER($1)", {login});
}

bool Repo::emailTaken(const std::string& email, std::int64_t exceptId) {
  return c_.scalar("SELECT COUNT(*) FROM users WHERE email = $1 AND id <> $2", {email, exceptId}) >
         0;
}

bool Repo::usernameTaken(const std::string& username, std::int64_t exceptId) {
  return c_.scalar("SELECT COUNT(*) FROM users WHERE LOWER(username) = LOWER($1) AND id <> $2",
                   {username, exceptId}) > 0;
}

std::int64_t Repo::create(const std::string& email, const std::string& username,
                          const std::string& name, const std::string& passwordHash, bool verified) {
  return c_.insert(
      "INSERT INTO users(email, username, password_hash, name, is_verified, created_at, "
      "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
      {email, username.empty() ? db::Param(nullptr) : db::Param(username), passwordHash, name,
       verified, now()});
}

void Repo::updateProfile(const User& u) {
  c_.exec(
      "UPDATE users SET name = $1, phone = $2, country = $3, language = $4, timezone = $5, "
      "username = $6, updated_at = $7 WHERE id = $8",
      {u.name, u.phone, u.country, u.language, u.timezone,
       u.username.empty() ? db::Param(nullptr) : db::Param(u.username), now(), u.id});
}

void Repo::setEmail(std::int64_t id, const std::string& email) {
  c_.exec("UPDATE users SET email = $1, updated_at = $2 WHERE id = $3", {email, now(), id});
}

void Repo::setAvatar(std::int64_t id, const std::string& file) {
  c_.exec("UPDATE users SET avatar = $1, updated_at = $2 WHERE id = $3", {file, now(), id});
}

void Repo::setPassword(std::int64_t id, const std::string& hash) {
  c_.exec("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3", {hash, now(), id});
}

void Repo::setVerified(std::int64_t id) {
  c_.exec("UPDATE users SET is_verified = 1, updated_at = $1 WHERE id = $2", {now(), id});
}

void Repo::setBlocked(std::int64_t id, bool blocked) {
  c_.exec("UPDATE users SET is_blocked = $1, updated_at = $2 WHERE id = $3", {blocked, now(), id});
}

void Repo::setLanguage(std::int64_t id, const std::string& lang) {
  c_.exec("UPDATE users SET language = $1 WHERE id = $2", {lang, id});
}

void Repo::touchLogin(std::int64_t id) {
  c_.exec("UPDATE users SET last_login_at = $1 WHERE id = $2", {now(), id});
}

void Repo::remove(std::int64_t id) {
  c_.exec("DELETE FROM users WHERE id = $1", {id});
}

std::set<std::string> Repo::roles(std::int64_t id) {
  std::set<std::string> out;
  for (const auto& r : c_.query("SELECT role FROM user_roles WHERE user_id = $1", {id}))
    out.insert(r[0].s());
  return out;
}

void Repo::grant(std::int64_t id, const std::string& role) {
  c_.exec("INSERT INTO user_roles(user_id, role) VALUES ($1, $2) ON CONFLICT DO NOTHING",
          {id, role});
}

void Repo::revoke(std::int64_t id, const std::string& role) {
  c_.exec("DELETE FROM user_roles WHERE user_id = $1 AND role = $2", {id, role});
}

std::vector<std::string> Repo::adminEmails() {
  std::vector<std::string> out;
  for (const auto& r :
       c_.query("SELECT u.email FROM users u JOIN user_roles r ON r.user_id = u.id WHERE r.role = "
                "'admin' AND u.is_blocked = 0 ORDER BY u.id"))
    out.push_back(r[0].s());
  return out;
}

std::vector<User> Repo::list(const std::string& search, int offset, int limit) {
  std::vector<User> out;
  auto rows = c_.query(std::string("SELECT ") + kColumns +
                           " FROM users WHERE ($1 = '' OR LOWER(email) LIKE LOWER($2) ESCAPE '\\' "
                           "OR LOWER(name) LIKE LOWER($2) ESCAPE '\\' OR LOWER(COALESCE(username, "
                           "'')) LIKE LOWER($2) ESCAPE '\\') ORDER BY id LIMIT $3 OFFSET $4",
                       {search, db::containsPattern(search), limit, offset});
  for (const auto& r : rows) {
    out.push_back(fromRow(r));
    out.back().roles = roles(out.back().id);
  }
  return out;
}

std::int64_t Repo::count(const std::string& search) {
  return c_.scalar(
      "SELECT COUNT(*) FROM users WHERE ($1 = '' OR LOWER(email) LIKE LOWER($2) ESCAPE '\\' OR "
      "LOWER(name) LIKE LOWER($2) ESCAPE '\\' OR LOWER(COALESCE(username, '')) LIKE LOWER($2) "
      "ESCAPE '\\')",
      {search, db::containsPattern(search)});
}

std::string Repo::createToken(std::int64_t userId, const std::string& name) {
  std::string plain = "mw_" + security::randomToken(32);
  c_.exec(
      "INSERT INTO api_tokens(user_id, name, token_hash, prefix, created_at) VALUES ($1, $2, $3, "
      "$4, $5)",
      {userId, name, security::sha256Hex(plain), plain.substr(0, 10), now()});
  return plain;
}

std::vector<ApiToken> Repo::tokens(std::int64_t userId) {
  std::vector<ApiToken> out;
  for (const auto& r : c_.query(
           "SELECT id, name, prefix, created_at, last_used_at FROM api_tokens WHERE user_id = $1 "
           "ORDER BY id",
           {userId})) {
    out.push_back({r["id"].i(), r["name"].s(), r["prefix"].s(), r["created_at"].i(),
                   r["last_used_at"].opt()});
  }
  return out;
}

bool Repo::revokeToken(std::int64_t userId, std::int64_t tokenId) {
  return c_.exec("DELETE FROM api_tokens WHERE id = $1 AND user_id = $2", {tokenId, userId}) > 0;
}

std::optional<std::int64_t> Repo::userIdByToken(const std::string& plain) {
  auto row = c_.one("SELECT id, user_id, last_used_at FROM api_tokens WHERE token_hash = $1",
                    {security::sha256Hex(plain)});
  if (!row) return std::nullopt;
  // Record use at most once a minute to keep API calls read-only on the hot path.
  if ((*row)["last_used_at"].i() < now() - 60)
    c_.exec("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2", {now(), (*row)["id"].i()});
  return (*row)["user_id"].i();
}

bool Repo::consumeLink(const std::string& token, std::int64_t expiresAt) {
  c_.exec("DELETE FROM used_tokens WHERE expires_at < $1", {now()});
  return c_.exec(
             "INSERT INTO used_tokens(token_hash, expires_at) VALUES ($1, $2) ON CONFLICT DO "
             "NOTHING",
             {security::sha256Hex(token), expiresAt}) > 0;
}

int Repo::recentFailures(const std::string& key, std::int64_t since) {
  return static_cast<int>(
      c_.scalar("SELECT COUNT(*) FROM login_failures WHERE key = $1 AND at >= $2", {key, since}));
}

std::int64_t Repo::lockedFor(const std::string& key, int max, std::int64_t window,
                             std::int64_t now) {
  // The max-th newest failure in the window: once it leaves the window, the key is free again.
  auto row = c_.one(R"(SELECT at
FROM login_failures
WHERE key = $1 AND at >= $2
ORDER BY at DESC
LIMIT 1 OFFSET $3)",
                    {key, now - window, static_cast<std::int64_t>(max - 1)});
  if (!row) return 0;
  return std::max<std::int64_t>(0, (*row)["at"].i() + window - now);
}

void Repo::addFailure(const std::string& key) {
  c_.exec("INSERT INTO login_failures(key, at) VALUES ($1, $2)", {key, now()});
}

void Repo::purgeExpired(std::int64_t failuresBefore) {
  c_.exec(R"(DELETE FROM login_failures
WHERE at < $1)",
          {failuresBefore});
  c_.exec(R"(DELETE FROM used_tokens
WHERE expires_at < $1)",
          {now()});
}

void Repo::clearFailures(const std::string& key) {
  c_.exec("DELETE FROM login_failures WHERE key = $1", {key});
}

}  // namespace mw::users
