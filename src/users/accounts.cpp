#include "users/accounts.h"

#include <Poco/URI.h>

#include <algorithm>
#include <ctime>

#include "core/mail/mime.h"
#include "core/mailer.h"
#include "core/security.h"
#include "web/form.h"

namespace mw::users {
namespace {

constexpr std::int64_t kVerifyTtl = 48 * 3600;
constexpr std::int64_t kResetTtl = 2 * 3600;

std::string fingerprint(const User& u) {
  return security::sha256Hex(u.passwordHash).substr(0, 16);
}

std::string link(const Config& cfg, const std::string& path, const std::string& token) {
  std::string enc;
  Poco::URI::encode(token, "&?=#+%/", enc);
  return cfg.baseUrl + path + "?token=" + enc;
}

std::string fill(std::string text, const std::string& name, const std::string& value) {
  std::string key = "{" + name + "}";
  for (size_t pos = 0; (pos = text.find(key, pos)) != std::string::npos; pos += value.size())
    text.replace(pos, key.size(), value);
  return text;
}

}  // namespace

std::string normalizeEmail(const std::string& email) {
  std::string e = web::clean(email);
  std::transform(e.begin(), e.end(), e.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return e;
}

std::string checkEmail(const std::string& email) {
  if (email.empty()) return "error_required";
  if (!mail::isValidEmail(email)) return "error_email_invalid";
  return "";
}

std::string checkUsername(const std::string& username) {
  if (username.empty()) return "";
  if (username.size() < 3 || username.size() > 32) return "error_username_length";
  for (char c : username)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-')
      return "error_username_chars";
  return "";
}

web::Identity identityOf(const User& u) {
  web::Identity id;
  id.id = u.id;
  id.email = u.email;
  id.displayName = u.displayName();
  id.language = u.language;
  id.timeZone = u.timezone.empty() ? "UTC" : u.timezone;
  id.roles = u.roles;
  id.avatarUrl = u.avatar.empty() ? std::string() : "/media/" + u.avatar;
  return id;
}

std::string verificationLink(const Config& cfg, const User& u) {
  auto token = security::signToken(cfg.secretKey, "verify", std::to_string(u.id),
                                   std::time(nullptr) + kVerifyTtl);
  return link(cfg, "/verify", token);
}

std::string resetLink(const Config& cfg, const User& u) {
  auto token =
      security::signToken(cfg.secretKey, "reset", std::to_string(u.id) + ":" + fingerprint(u),
                          std::time(nullptr) + kResetTtl);
  return link(cfg, "/password/reset/confirm", token);
}

std::optional<std::int64_t> useVerificationToken(const Config& cfg, Repo& repo,
                                                 const std::string& token) {
  auto payload = security::verifySignedToken(cfg.secretKey, "verify", token, std::time(nullptr));
  if (!payload) return std::nullopt;
  std::int64_t id = 0;
  try {
    id = std::stoll(*payload);
  } catch (...) {
    return std::nullopt;
  }
  if (!repo.consumeLink(token, std::time(nullptr) + kVerifyTtl)) return std::nullopt;
  return id;
}

std::optional<User> checkResetToken(const Config& cfg, Repo& repo, const std::string& token) {
  auto payload = security::verifySignedToken(cfg.secretKey, "reset", token, std::time(nullptr));
  if (!payload) return std::nullopt;
  auto colon = payload->find(':');
  if (colon == std::string::npos) return std::nullopt;
  std::int64_t id = 0;
  try {
    id = std::stoll(payload->substr(0, colon));
  } catch (...) {
    return std::nullopt;
  }
  auto u = repo.byId(id);
  if (!u || fingerprint(*u) != payload->substr(colon + 1)) return std::nullopt;
  return u;
}

bool sendVerification(const Config& cfg, const I18n& i18n, const User& u, const std::string& lang,
                      const MailRoad& road) {
  std::string url = verificationLink(cfg, u);
  std::string text =
      fill(fill(i18n.t(lang, "mail_verify_body"), "name", u.displayName()), "link", url);
  return Mailer(cfg, road).send(u.email, u.name, i18n.t(lang, "mail_verify_subject"), text).ok;
}

bool sendReset(const Config& cfg, const I18n& i18n, const User& u, const std::string& lang,
               const MailRoad& road) {
  std::string url = resetLink(cfg, u);
  std::string text =
      fill(fill(i18n.t(lang, "mail_reset_body"), "name", u.displayName()), "link", url);
  return Mailer(cfg, road).send(u.email, u.name, i18n.t(lang, "mail_reset_subject"), text).ok;
}

}  // namespace mw::users
