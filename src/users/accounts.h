#pragma once
#include <optional>
#include <string>

#include "core/config.h"
#include "core/db.h"
#include "core/i18n.h"
#include "core/mailer.h"
#include "users/password.h"
#include "users/repo.h"
#include "web/context.h"
#include "web/form.h"

namespace mw::users {

// Validation and account rules shared by pages, API and command line.
std::string normalizeEmail(const std::string& email);
// Each returns the translation key of the problem, or "" when fine.
std::string checkEmail(const std::string& email);
std::string checkUsername(const std::string& username);

web::Identity identityOf(const User& u);

// Signed links. Verification: 48 h; reset: 2 h and void once the password changes.
std::string verificationLink(const Config& cfg, const User& u);
std::string resetLink(const Config& cfg, const User& u);
// The user id behind a valid, unused link (the link is then spent), or nullopt.
std::optional<std::int64_t> useVerificationToken(const Config& cfg, Repo& repo,
                                                 const std::string& token);
std::optional<User> checkResetToken(const Config& cfg, Repo& repo, const std::string& token);

// Sends the verification mail in the user's language; false when the mail server refused.
// road: how the mail leaves (web::Platform::mailRoad).
bool sendVerification(const Config& cfg, const I18n& i18n, const User& u, const std::string& lang,
                      const MailRoad& road);
bool sendReset(const Config& cfg, const I18n& i18n, const User& u, const std::string& lang,
               const MailRoad& road);

}  // namespace mw::users
