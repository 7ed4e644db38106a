#include <algorithm>
#include <ctime>

#include "core/security.h"
#include "core/time.h"
#include "core/uploads.h"
#include "users/accounts.h"
#include "users/module.h"
#include "users/repo.h"
#include "web/form.h"
#include "web/format.h"
#include "web/guards.h"
#include "web/redirect.h"

namespace mw::users {
namespace {

using web::Ctx;
using web::Data;
using web::FormState;

constexpr int kMaxAccountFailures = 5;
constexpr int kMaxIpFailures = 20;
constexpr std::int64_t kFailureWindow = 15 * 60;
constexpr std::size_t kMaxAvatar = 2 * 1024 * 1024;

const std::string& dummyHash() {
  static const std::string hash = security::hashPassword("timing-equaliser-password");
  return hash;
}

// Only local paths: never redirect to another site after login.
std::string safeNext(const std::string& next) {
  return web::localPath(next);
}

void showForm(Ctx& ctx, const std::string& tpl, const std::string& titleKey, const FormState& f,
              Data extra = Data(), int status = 200) {
  extra.set("title", ctx.t(titleKey));
  extra.set("form", f.toData());
  ctx.html(tpl, extra, status != 200 ? status : (f.ok() ? 200 : 422));
}

void registerPage(Ctx& ctx) {
  if (ctx.user) return ctx.redirect("/");
  showForm(ctx, "users/register", "register_title", FormState());
}

void registerSubmit(Ctx& ctx) {
  FormState f;
  std::string email = normalizeEmail(ctx.form("email"));
  std::string username = web::clean(ctx.form("username"));
  std::string name = web::clean(ctx.form("name"));
  std::string password = ctx.form("password");
  std::string password2 = ctx.form("password2");
  f.set("email", email);
  f.set("username", username);
  f.set("name", name);
  if (auto e = checkEmail(email); !e.empty()) f.error("email", ctx.t(e));
  if (auto e = checkUsername(username); !e.empty()) f.error("username", ctx.t(e));
  if (web::utf8Length(name) > 150) f.error("name", ctx.t("error_too_long"));
  if (auto e = checkPassword(password, ctx.platform.cfg.passwordMinScore,
                             relatedWords(email, username, name));
      !e.empty())
    f.error("password", ctx.t(e));
  if (password != password2) f.error("password2", ctx.t("error_password_mismatch"));
  auto c = ctx.platform.db.conn();
  Repo repo(c);
  if (!f.hasError("email") && repo.emailTaken(email)) f.error("email", ctx.t("error_email_taken"));
  if (!username.empty() && !f.hasError("username") && repo.usernameTaken(username))
    f.error("username", ctx.t("error_username_taken"));
  if (!f.ok()) return showForm(ctx, "users/register", "register_title", f);
  std::int64_t id = repo.create(email, username, name, security::hashPassword(password), false);
  repo.setLanguage(id, ctx.lang);
  auto u = repo.byId(id);
  if (auto zone = web::browserZone(ctx); !zone.empty() && u && zone != u->timezone) {
    u->timezone = zone;  // the browser's zone as the first choice (changeable in the profile)
    repo.updateProfile(*u);
  }
  if (sendVerification(ctx.platform.cfg, ctx.platform.i18n, *u, ctx.lang, ctx.platform.mailRoad))
    ctx.flash("success", ctx.t("flash_registered"));
  else
    ctx.flash("warning", ctx.t("flash_registered_mail_failed"));
  ctx.redirect("/login");
}

void verify(Ctx& ctx) {
  auto c = ctx.platform.db.conn();
  Repo repo(c);
  auto id = useVerificationToken(ctx.platform.cfg, repo, ctx.query("token"));
  auto u = id ? repo.byId(*id) : std::nullopt;
  if (!u) {
    ctx.flash("danger", ctx.t("flash_verify_invalid"));
    return ctx.redirect("/verify/resend");
  }
  repo.setVerified(u->id);
  ctx.flash("success", ctx.t("flash_verified"));
  ctx.redirect("/login");
}

void resendPage(Ctx& ctx) {
  showForm(ctx, "users/resend", "resend_title", FormState());
}

void resendSubmit(Ctx& ctx) {
  std::string email = normalizeEmail(ctx.form("email"));
  auto c = ctx.platform.db.conn();
  Repo repo(c);
  std::string key = "resend:" + ctx.clientIp();
  if (repo.recentFailures(key, std::time(nullptr) - kFailureWindow) >= kMaxAccountFailures)
    throw web::HttpError(429, ctx.t("error_rate_limited"));
  repo.addFailure(key);
  auto u = repo.byEmail(email);
  // The same answer whether or not the address exists: no account enumeration.
  if (u && !u->verified)
    sendVerification(ctx.platform.cfg, ctx.platform.i18n, *u, ctx.lang, ctx.platform.mailRoad);
  ctx.flash("info", ctx.t("flash_resent"));
  ctx.redirect("/login");
}

void loginPage(Ctx& ctx) {
  if (ctx.user) return ctx.redirect("/");
  FormState f;
  Data d;
  d.set("next", safeNext(ctx.query("next", "/")));
  showForm(ctx, "users/login", "login_title", f, d);
}

void loginSubmit(Ctx& ctx) {
  FormState f;
  std::string login = web::clean(ctx.form("login"));
  std::string password = ctx.form("password");
  bool remember = !ctx.form("remember").empty();
  std::string next = safeNext(ctx.form("next", "/"));
  f.set("login", login);
  Data d;
  d.set("next", next);
  if (login.empty()) f.error("login", ctx.t("error_required"));
  if (password.empty()) f.error("password", ctx.t("error_required"));
  if (!f.ok()) return showForm(ctx, "users/login", "login_title", f, d);

  auto c = ctx.platform.db.conn();
  Repo repo(c);
  // Limits count per account (however it is spelt: alice, Alice, alice@...) and per address,
  // separately, so neither a guessed account nor a shared proxy locks out everyone.
  std::string normalized = normalizeEmail(login);
  auto u = repo.byLogin(normalized);
  std::string accountKey = u ? "user:" + std::to_string(u->id) : "login:" + normalized;
  std::string ipKey = "ip:" + ctx.clientIp();
  std::int64_t now = std::time(nullptr);
  std::int64_t wait = std::max(repo.lockedFor(accountKey, kMaxAccountFailures, kFailureWindow, now),
                               repo.lockedFor(ipKey, kMaxIpFailures, kFailureWindow, now));
  if (wait > 0) {
    std::string text = ctx.t("error_locked_wait");
    auto at = text.find("{minutes}");
    if (at != std::string::npos) text.replace(at, 9, std::to_string((wait + 59) / 60));
    f.error("login", text);
    d.set("form", f.toData());
    d.set("title", ctx.t("login_title"));
    return ctx.html("users/login", d, 429);
  }
  // Hash even for unknown accounts so timing does not reveal which exist.
  bool good = u ? security::verifyPassword(password, u->passwordHash)
                : (security::verifyPassword(password, dummyHash()), false);
  if (!good) {
    repo.addFailure(accountKey);
    repo.addFailure(ipKey);
    f.error("login", ctx.t("error_bad_credentials"));
    return showForm(ctx, "users/login", "login_title", f, d);
  }
  if (u->blocked) {
    f.error("login", ctx.t("error_account_blocked"));
    return showForm(ctx, "users/login", "login_title", f, d, 403);
  }
  if (!u->verified) {
    f.error("login", ctx.t("error_not_verified"));
    d.set("show_resend", true);
    return showForm(ctx, "users/login", "login_title", f, d, 403);
  }
  repo.clearFailures(accountKey);
  repo.touchLogin(u->id);
  if (security::needsRehash(u->passwordHash))
    repo.setPassword(u->id, security::hashPassword(password));
  ctx.login(u->id, remember);
  ctx.redirect(next);
}

void logout(Ctx& ctx) {
  ctx.logout();
  ctx.redirect("/");
}

void setLanguage(Ctx& ctx) {
  std::string lang = ctx.form("lang");
  if (!ctx.platform.i18n.supports(lang)) throw web::HttpError(400, ctx.t("error_bad_language"));
  Poco::Net::HTTPCookie cookie(web::Platform::kLangCookie, lang);
  cookie.setPath("/");
  cookie.setMaxAge(365 * 86400);
  cookie.setHttpOnly(true);
  cookie.setSameSite(Poco::Net::HTTPCookie::SAME_SITE_LAX);
  ctx.setCookie(cookie);
  if (ctx.user) {
    auto c = ctx.platform.db.conn();
    Repo(c).setLanguage(ctx.user->id, lang);
  }
  ctx.redirect(safeNext(ctx.form("next", "/")));
}

Data timeZoneOptions(const std::string& selected) {
  Data list(Data::type::list);
  for (const auto& z : commonTimeZones()) {
    Data o;
    o.set("value", z);
    o.set("selected", z == selected);
    list.push_back(o);
  }
  return list;
}

Data profileData(Ctx& ctx, const User& u) {
  Data d;
  d.set("title", ctx.t("profile_title"));
  d.set("avatar_url", u.avatar.empty() ? std::string() : "/media/" + u.avatar);
  d.set("email", u.email);
  d.set("timezones", timeZoneOptions(u.timezone));
  d.set("lang_is_ru", u.language == "ru");
  d.set("lang_is_en", u.language == "en");
  Data roles(Data::type::list);
  for (const auto& r : u.roles) roles.push_back(Data(ctx.t("role_" + r)));
  d.set("roles", roles);
  return d;
}

User currentUser(Ctx& ctx, Repo& repo) {
  auto u = repo.byId(ctx.user->id);
  if (!u) throw web::HttpError(401, ctx.t("error_login_required"));
  return *u;
}

void profilePage(Ctx& ctx) {
  auto c = ctx.platform.db.conn();
  Repo repo(c);
  User u = currentUser(ctx, repo);
  FormState f;
  f.set("name", u.name);
  f.set("username", u.username);
  f.set("phone", u.phone);
  f.set("country", u.country);
  Data d = profileData(ctx, u);
  d.set("form", f.toData());
  ctx.html("users/profile", d);
}

void profileSubmit(Ctx& ctx) {
  auto c = ctx.platform.db.conn();
  Repo repo(c);
  User u = currentUser(ctx, repo);
  FormState f;
  u.name = web::clean(ctx.form("name"));
  u.username = web::clean(ctx.form("username"));
  u.phone = web::clean(ctx.form("phone"));
  u.country = web::clean(ctx.form("country"));
  std::string lang = ctx.form("language");
  std::string tz = ctx.form("timezone", u.timezone);
  f.set("name", u.name);
  f.set("username", u.username);
  f.set("phone", u.phone);
  f.set("country", u.country);
  if (web::utf8Length(u.name) > 150) f.error("name", ctx.t("error_too_long"));
  if (auto e = checkUsername(u.username); !e.empty())
    f.error("username", ctx.t(e));
  else if (!u.username.empty() && repo.usernameTaken(u.username, u.id))
    f.error("username", ctx.t("error_username_taken"));
  if (!u.phone.empty()) {
    int digits = 0;
    bool okChars = true;
    for (char ch : u.phone) {
      if (std::isdigit(static_cast<unsigned char>(ch)))
        ++digits;
      else if (std::string(" +-()").find(ch) == std::string::npos)
        okChars = false;
    }
    if (!okChars || digits < 5 || digits > 15) f.error("phone", ctx.t("error_phone_invalid"));
  }
  if (web::utf8Length(u.country) > 64) f.error("country", ctx.t("error_too_long"));
  if (!lang.empty() && !ctx.platform.i18n.supports(lang))
    f.error("language", ctx.t("error_bad_language"));
  if (!TimeZone::get(tz)) f.error("timezone", ctx.t("error_timezone_invalid"));
  if (!f.ok()) {
    Data d = profileData(ctx, u);
    d.set("form", f.toData());
    return ctx.html("users/profile", d, 422);
  }
  u.language = lang;
  u.timezone = tz;
  repo.updateProfile(u);
  if (!lang.empty()) ctx.lang = lang;
  ctx.flash("success", ctx.t("flash_profile_saved"));
  ctx.redirect("/profile");
}

void avatarSubmit(Ctx& ctx) {
  auto c = ctx.platform.db.conn();
  Repo repo(c);
  User u = currentUser(ctx, repo);
  const web::UploadedFile* file = ctx.file("avatar");
  std::string error;
  std::optional<std::string> ext;
  if (!file || file->bytes.empty())
    error = "error_file_required";
  else if (file->truncated || file->bytes.size() > kMaxAvatar)
    error = "error_file_too_large";
  else if (!(ext = imageExtension(file->bytes)))
    error = "error_not_image";
  if (!error.empty()) {
    FormState f;
    f.set("name", u.name);
    f.set("username", u.username);
    f.set("phone", u.phone);
    f.set("country", u.country);
    f.error("avatar", ctx.t(error));
    Data d = profileData(ctx, u);
    d.set("form", f.toData());
    return ctx.html("users/profile", d, 422);
  }
  std::string saved = saveUpload(ctx.platform.cfg.dataDir, "avatars", file->bytes, *ext);
  repo.setAvatar(u.id, saved);
  removeUpload(ctx.platform.cfg.dataDir, u.avatar);
  ctx.flash("success", ctx.t("flash_avatar_saved"));
  ctx.redirect("/profile");
}

void passwordChangePage(Ctx& ctx) {
  showForm(ctx, "users/password_change", "password_change_title", FormState());
}

void passwordChangeSubmit(Ctx& ctx) {
  auto c = ctx.platform.db.conn();
  Repo repo(c);
  User u = currentUser(ctx, repo);
  FormState f;
  std::string old = ctx.form("old_password");
  std::string p1 = ctx.form("password");
  std::string p2 = ctx.form("password2");
  if (!security::verifyPassword(old, u.passwordHash))
    f.error("old_password", ctx.t("error_old_password"));
  if (auto e = checkPassword(p1, ctx.platform.cfg.passwordMinScore,
                             relatedWords(u.email, u.username, u.name));
      !e.empty())
    f.error("password", ctx.t(e));
  if (p1 != p2) f.error("password2", ctx.t("error_password_mismatch"));
  if (!f.ok()) return showForm(ctx, "users/password_change", "password_change_title", f);
  repo.setPassword(u.id, security::hashPassword(p1));
  // Other sessions of this user end; this one continues with a fresh id.
  ctx.platform.sessions.destroyAllOf(u.id);
  ctx.login(u.id, false);
  ctx.flash("success", ctx.t("flash_password_changed"));
  ctx.redirect("/profile");
}

void resetPage(Ctx& ctx) {
  showForm(ctx, "users/password_reset", "reset_title", FormState());
}

void resetSubmit(Ctx& ctx) {
  FormState f;
  std::string email = normalizeEmail(ctx.form("email"));
  f.set("email", email);
  if (auto e = checkEmail(email); !e.empty()) f.error("email", ctx.t(e));
  if (!f.ok()) return showForm(ctx, "users/password_reset", "reset_title", f);
  auto c = ctx.platform.db.conn();
  Repo repo(c);
  std::string key = "reset:" + ctx.clientIp();
  if (repo.recentFailures(key, std::time(nullptr) - kFailureWindow) >= kMaxAccountFailures)
    throw web::HttpError(429, ctx.t("error_rate_limited"));
  repo.addFailure(key);
  auto u = repo.byEmail(email);
  if (u && !u->blocked)
    sendReset(ctx.platform.cfg, ctx.platform.i18n, *u, ctx.lang, ctx.platform.mailRoad);
  ctx.flash("info", ctx.t("flash_reset_sent"));
  ctx.redirect("/login");
}

void resetConfirmPage(Ctx& ctx) {
  auto c = ctx.platform.db.conn();
  Repo repo(c);
  std::string token = ctx.query("token");
  if (!checkResetToken(ctx.platform.cfg, repo, token)) {
    ctx.flash("danger", ctx.t("flash_reset_invalid"));
    return ctx.redirect("/password/reset");
  }
  Data d;
  d.set("token", token);
  showForm(ctx, "users/password_reset_confirm", "reset_confirm_title", FormState(), d);
}

void resetConfirmSubmit(Ctx& ctx) {
  auto c = ctx.platform.db.conn();
  Repo repo(c);
  std::string token = ctx.form("token");
  auto u = checkResetToken(ctx.platform.cfg, repo, token);
  if (!u) {
    ctx.flash("danger", ctx.t("flash_reset_invalid"));
    return ctx.redirect("/password/reset");
  }
  FormState f;
  std::string p1 = ctx.form("password");
  if (auto e = checkPassword(p1, ctx.platform.cfg.passwordMinScore,
                             relatedWords(u->email, u->username, u->name));
      !e.empty())
    f.error("password", ctx.t(e));
  if (p1 != ctx.form("password2")) f.error("password2", ctx.t("error_password_mismatch"));
  if (!f.ok()) {
    Data d;
    d.set("token", token);
    return showForm(ctx, "users/password_reset_confirm", "reset_confirm_title", f, d);
  }
  if (!repo.consumeLink(token, std::time(nullptr) + 3 * 3600)) {
    ctx.flash("danger", ctx.t("flash_reset_invalid"));
    return ctx.redirect("/password/reset");
  }
  repo.setPassword(u->id, security::hashPassword(p1));
  // The mailbox owner proved control of the address.
  if (!u->verified) repo.setVerified(u->id);
  ctx.platform.sessions.destroyAllOf(u->id);
  ctx.flash("success", ctx.t("flash_password_reset"));
  ctx.redirect("/login");
}

void tokensPage(Ctx& ctx, const std::string& fresh = "") {
  auto c = ctx.platform.db.conn();
  Repo repo(c);
  User u = currentUser(ctx, repo);
  auto tz = TimeZone::get(u.timezone);
  if (!tz) tz = TimeZone::get("UTC");
  Data list(Data::type::list);
  for (const auto& t : repo.tokens(u.id)) {
    Data row;
    row.set("id", std::to_string(t.id));
    row.set("name", t.name);
    row.set("prefix", t.prefix);
    row.set("created", formatHuman(t.createdAt, *tz));
    row.set("last_used", t.lastUsedAt ? formatHuman(*t.lastUsedAt, *tz) : std::string("—"));
    list.push_back(row);
  }
  Data d;
  d.set("title", ctx.t("tokens_title"));
  d.set("tokens", list);
  d.set("has_tokens", !list.is_empty_list());
  if (!fresh.empty()) d.set("new_token", fresh);
  ctx.html("users/tokens", d);
}

void tokenCreate(Ctx& ctx) {
  auto c = ctx.platform.db.conn();
  Repo repo(c);
  User u = currentUser(ctx, repo);
  std::string name = web::clean(ctx.form("name"));
  if (name.empty()) name = "token";
  if (web::utf8Length(name) > 100) name = name.substr(0, 100);
  std::string plain = repo.createToken(u.id, name);
  // Shown once, never stored in plain text.
  tokensPage(ctx, plain);
}

void tokenRevoke(Ctx& ctx) {
  auto c = ctx.platform.db.conn();
  Repo repo(c);
  User u = currentUser(ctx, repo);
  if (!repo.revokeToken(u.id, ctx.idParam())) throw web::HttpError(404, ctx.t("error_not_found"));
  ctx.flash("success", ctx.t("flash_token_revoked"));
  ctx.redirect("/profile/tokens");
}

}  // namespace

void installPages(web::Platform& p) {
  p.get("/register", registerPage);
  p.post("/register", registerSubmit);
  p.get("/verify", verify);
  p.get("/verify/resend", resendPage);
  p.post("/verify/resend", resendSubmit);
  p.get("/login", loginPage);
  p.post("/login", loginSubmit);
  p.post("/logout", logout);
  p.post("/lang", setLanguage);
  p.get("/profile", profilePage, web::signedIn());
  p.post("/profile", profileSubmit, web::signedIn());
  p.post("/profile/avatar", avatarSubmit, web::signedIn());
  p.get(
      "/profile/tokens", [](Ctx& ctx) { tokensPage(ctx); }, web::signedIn());
  p.post("/profile/tokens", tokenCreate, web::signedIn());
  p.post("/profile/tokens/{id}/revoke", tokenRevoke, web::signedIn());
  p.get("/password/change", passwordChangePage, web::signedIn());
  p.post("/password/change", passwordChangeSubmit, web::signedIn());
  p.get("/password/reset", resetPage);
  p.post("/password/reset", resetSubmit);
  p.get("/password/reset/confirm", resetConfirmPage);
  p.post("/password/reset/confirm", resetConfirmSubmit);
}

void install(web::Platform& p) {
  p.loadIdentity = [&p](std::int64_t userId) -> std::optional<web::Identity> {
    auto c = p.db.conn();
    auto u = Repo(c).byId(userId);
    if (!u || u->blocked || !u->verified) return std::nullopt;
    return identityOf(*u);
  };
  p.loadTokenIdentity = [&p](const std::string& token) -> std::optional<web::Identity> {
    auto c = p.db.conn();
    Repo repo(c);
    auto id = repo.userIdByToken(token);
    auto u = id ? repo.byId(*id) : std::nullopt;
    if (!u || u->blocked || !u->verified) return std::nullopt;
    return identityOf(*u);
  };
  p.onPurge([&p](std::int64_t now) {
    auto c = p.db.conn();
    Repo(c).purgeExpired(now - kFailureWindow);
  });
  installPages(p);
  installApi(p);
  installManage(p);
}

}  // namespace mw::users
