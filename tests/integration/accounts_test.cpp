// Accounts through the real binary: registration by email link, login, roles, CSRF, reset.
#include <Poco/URI.h>
#include <gtest/gtest.h>

#include "app.h"
#include "harness.h"

using namespace mw::test;

namespace {

class Accounts : public ::testing::Test {
 protected:
  void SetUp() override {
    smtp = std::make_unique<SmtpCapture>();
    server = std::make_unique<MailwrightServer>(ServerOptions{.smtp = smtp.get()});
    MW_SKIP_IF_UNAVAILABLE();
  }
  std::unique_ptr<SmtpCapture> smtp;
  std::unique_ptr<MailwrightServer> server;
};

int userCount(const MailwrightServer& s) {
  // Counted through the manager API (public interfaces only), leaving out the counting managers.
  static int n = 0;
  std::string email = "counter" + std::to_string(++n) + "@example.com";
  createUser(s, email, kStrongPassword, "manager");
  HttpClient c(s.baseUrl());
  std::string token = tokenFor(s, email);
  auto all = c.getJson("/api/v1/users?per_page=1", token).json()->getValue<int>("total");
  auto counters =
      c.getJson("/api/v1/users?per_page=1&q=counter", token).json()->getValue<int>("total");
  return all - counters;
}

}  // namespace

TEST_F(Accounts, RegistrationSendsALinkThatVerifiesOnceAndLoginWorks) {
  HttpClient c(server->baseUrl());
  auto r = c.postForm("/register", {{"email", "Anna@Example.com"},
                                    {"username", "anna"},
                                    {"name", "Анна Петрова"},
                                    {"password", "s3cret-Lodka-pass"},
                                    {"password2", "s3cret-Lodka-pass"}});
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(r.location(), "/login");

  // Not verified yet: login is refused with a clear message.
  r = login(c, "anna@example.com", "s3cret-Lodka-pass");
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("Confirm your email"), std::string::npos);

  auto mails = smtp->waitForMessages(1);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].rcptTos, std::vector<std::string>{"anna@example.com"});
  auto decoded = mails[0].decoded();
  std::string link =
      findLink(decoded->getValue<std::string>("text"), server->baseUrl() + "/verify");
  ASSERT_FALSE(link.empty()) << decoded->getValue<std::string>("text");

  r = c.get(pathOf(link));
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(r.location(), "/login");
  // The same link a second time is spent.
  r = c.get(pathOf(link));
  EXPECT_EQ(r.location(), "/verify/resend");

  // Login by username and by email.
  r = login(c, "anna", "s3cret-Lodka-pass");
  ASSERT_EQ(r.status, 303) << r.body;
  r = c.get("/profile");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("Анна Петрова"), std::string::npos);
  HttpClient c2(server->baseUrl());
  EXPECT_EQ(login(c2, "ANNA@example.com", "s3cret-Lodka-pass").status, 303);
}

TEST_F(Accounts, TamperedOrForeignVerificationLinksAreRefused) {
  HttpClient c(server->baseUrl());
  c.postForm("/register", {{"email", "bob@example.com"},
                           {"password", "s3cret-Lodka-pass"},
                           {"password2", "s3cret-Lodka-pass"}});
  auto mails = smtp->waitForMessages(1);
  std::string link =
      findLink(mails[0].decoded()->getValue<std::string>("text"), server->baseUrl() + "/verify");
  std::string tampered = pathOf(link);
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(c.get(tampered).location(), "/verify/resend");
  EXPECT_EQ(c.get("/verify?token=garbage").location(), "/verify/resend");
  EXPECT_EQ(login(c, "bob@example.com", "s3cret-Lodka-pass").status, 403);
}

TEST_F(Accounts, BadRegistrationInputShowsErrorsBesideFieldsAndWritesNothing) {
  int before = userCount(*server);
  HttpClient c(server->baseUrl());
  auto r = c.postForm(
      "/register",
      {{"email", "not-an-email"}, {"username", "x"}, {"password", "123"}, {"password2", "456"}});
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("Enter a valid email address"), std::string::npos);
  EXPECT_NE(r.body.find("From 3 to 32 characters"), std::string::npos);
  EXPECT_NE(r.body.find("At least 8 characters"), std::string::npos);
  EXPECT_NE(r.body.find("The passwords do not match"), std::string::npos);
  EXPECT_NE(r.body.find("value=\"not-an-email\""), std::string::npos);  // re-shown
  EXPECT_EQ(userCount(*server), before);
  EXPECT_TRUE(smtp->messages().empty());

  createUser(*server, "taken@example.com");
  r = c.postForm("/register", {{"email", "TAKEN@example.com"},
                               {"password", kStrongPassword},
                               {"password2", kStrongPassword}});
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("already registered"), std::string::npos);
}

TEST_F(Accounts, WrongPasswordIsRefusedAndLoginIsRateLimited) {
  createUser(*server, "carol@example.com");
  HttpClient c(server->baseUrl());
  auto r = login(c, "carol@example.com", "wrong-password");
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("Wrong login or password"), std::string::npos);
  EXPECT_TRUE(c.cookie("mw_sid").empty() || c.get("/profile").status == 303);
  for (int i = 0; i < 5; ++i) login(c, "carol@example.com", "wrong-password");
  // Even the right password waits once the limit is reached.
  r = login(c, "carol@example.com", kStrongPassword);
  EXPECT_EQ(r.status, 429);
  EXPECT_NE(r.body.find("Too many attempts"), std::string::npos);
}

TEST_F(Accounts, PostsWithoutCsrfTokenAreRefused) {
  createUser(*server, "dave@example.com");
  HttpClient c(server->baseUrl());
  c.get("/login");
  auto r = c.post("/login", {{"login", "dave@example.com"}, {"password", kStrongPassword}});
  EXPECT_EQ(r.status, 403);
  r = c.post(
      "/login",
      {{"login", "dave@example.com"}, {"password", kStrongPassword}, {"csrf_token", "forged"}});
  EXPECT_EQ(r.status, 403);
  // A token from another session is no good either.
  HttpClient other(server->baseUrl());
  std::string foreign = csrfFrom(other.get("/login").body);
  r = c.post(
      "/login",
      {{"login", "dave@example.com"}, {"password", kStrongPassword}, {"csrf_token", foreign}});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(login(c, "dave@example.com").status, 303);
}

TEST_F(Accounts, SessionCookieIsHttpOnlySameSiteAndPagesCarrySecurityHeaders) {
  HttpClient c(server->baseUrl());
  auto r = c.get("/login");
  ASSERT_EQ(r.status, 200);
  auto cookies = r.headerValues("Set-Cookie");
  ASSERT_FALSE(cookies.empty());
  EXPECT_NE(cookies[0].find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookies[0].find("SameSite=Lax"), std::string::npos);
  EXPECT_EQ(cookies[0].find("Secure"), std::string::npos);  // BASE_URL is http here
  EXPECT_NE(r.header("Content-Security-Policy").find("default-src 'self'"), std::string::npos);
  EXPECT_EQ(r.header("X-Frame-Options"), "DENY");
  EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff");
  EXPECT_FALSE(r.header("Referrer-Policy").empty());
  EXPECT_NE(r.body.find("name=\"csrf_token\""), std::string::npos);
  auto h = c.get("/healthz");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body, "{\"status\":\"ok\"}");
  auto missing = c.get("/no/such/page");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body.find("Exception"), std::string::npos);
}

TEST_F(Accounts, BlockedUserCannotLogInAndItsSessionEndsAtOnce) {
  createUser(*server, "erin@example.com");
  createUser(*server, "boss@example.com", kStrongPassword, "manager");
  HttpClient erin(server->baseUrl());
  ASSERT_EQ(login(erin, "erin@example.com").status, 303);
  ASSERT_EQ(erin.get("/profile").status, 200);

  HttpClient boss(server->baseUrl());
  ASSERT_EQ(login(boss, "boss@example.com").status, 303);
  auto users = boss.get("/manage/users?q=erin");
  ASSERT_EQ(users.status, 200);
  auto pos = users.body.find("/manage/users/");
  ASSERT_NE(pos, std::string::npos);
  std::string action = users.body.substr(pos, users.body.find('"', pos) - pos);
  ASSERT_NE(action.find("/block"), std::string::npos);
  auto r = boss.postForm(action, {}, "/manage/users");
  EXPECT_EQ(r.status, 303);

  // Erin's open session is gone: the next page sends her to the login form.
  r = erin.get("/profile");
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(r.location().rfind("/login", 0), 0u);
  r = login(erin, "erin@example.com");
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("blocked"), std::string::npos);
}

TEST_F(Accounts, PasswordResetLinkWorksOnceAndEndsOtherSessions) {
  createUser(*server, "fred@example.com", "Old-Kompot-Lampa-1");
  HttpClient other(server->baseUrl());
  ASSERT_EQ(login(other, "fred@example.com", "Old-Kompot-Lampa-1").status, 303);

  HttpClient c(server->baseUrl());
  auto r = c.postForm("/password/reset", {{"email", "fred@example.com"}});
  EXPECT_EQ(r.status, 303);
  // Unknown addresses get the same answer and no mail.
  c.postForm("/password/reset", {{"email", "nobody@example.com"}});
  auto mails = smtp->waitForMessages(1);
  ASSERT_EQ(mails.size(), 1u);
  std::string link = findLink(mails[0].decoded()->getValue<std::string>("text"),
                              server->baseUrl() + "/password/reset/confirm");
  ASSERT_FALSE(link.empty());
  r = c.get(pathOf(link));
  ASSERT_EQ(r.status, 200);
  std::string token = pathOf(link).substr(pathOf(link).find("token=") + 6);
  std::string decodedToken;
  Poco::URI::decode(token, decodedToken);
  r = c.postForm("/password/reset/confirm",
                 {{"token", decodedToken},
                  {"password", "New-Vesna-Lodka-2"},
                  {"password2", "New-Vesna-Lodka-2"}},
                 pathOf(link));
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(r.location(), "/login");
  // Spent: the link cannot be used again.
  r = c.get(pathOf(link));
  EXPECT_EQ(r.location(), "/password/reset");
  EXPECT_EQ(login(c, "fred@example.com", "Old-Kompot-Lampa-1").status, 422);
  EXPECT_EQ(login(c, "fred@example.com", "New-Vesna-Lodka-2").status, 303);
  EXPECT_EQ(other.get("/profile").status, 303);
}

TEST_F(Accounts, ProfileAvatarUploadChecksContentAndSize) {
  createUser(*server, "gina@example.com");
  HttpClient c(server->baseUrl());
  ASSERT_EQ(login(c, "gina@example.com").status, 303);
  std::string csrf = csrfFrom(c.get("/profile").body);
  std::string png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89",
                  33);
  auto r = c.postMultipart("/profile/avatar", {{"csrf_token", csrf}},
                           {{"avatar", "me.png", "image/png", png}});
  EXPECT_EQ(r.status, 303);
  auto profile = c.get("/profile");
  auto pos = profile.body.find("/media/avatars/");
  ASSERT_NE(pos, std::string::npos);
  std::string url = profile.body.substr(pos, profile.body.find('"', pos) - pos);
  auto img = c.get(url);
  EXPECT_EQ(img.status, 200);
  EXPECT_EQ(img.body, png);
  EXPECT_EQ(img.header("Content-Type"), "image/png");
  // The navbar shows it beside the name on every page.
  auto page = c.get("/clients");
  EXPECT_NE(page.body.find("<img src=\"" + url + "\" class=\"mw-nav-avatar"), std::string::npos)
      << page.body;

  // A script named .png is rejected by its content.
  r = c.postMultipart("/profile/avatar", {{"csrf_token", csrf}},
                      {{"avatar", "evil.png", "image/png", "<script>alert(1)</script>"}});
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("not a PNG, JPEG, GIF or WebP"), std::string::npos);
  r = c.postMultipart(
      "/profile/avatar", {{"csrf_token", csrf}},
      {{"avatar", "big.png", "image/png", png + std::string(3 * 1024 * 1024, 'x')}});
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("too large"), std::string::npos);

  r = c.postForm("/profile", {{"name", "Gina"}, {"phone", "abc"}, {"timezone", "Europe/Moscow"}});
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("Enter a phone number"), std::string::npos);
  r = c.postForm("/profile", {{"name", "Gina"},
                              {"phone", "+7 (999) 123-45-67"},
                              {"country", "Россия"},
                              {"language", "ru"},
                              {"timezone", "Asia/Novosibirsk"}});
  EXPECT_EQ(r.status, 303);
  profile = c.get("/profile");
  EXPECT_NE(profile.body.find("lang=\"ru\""), std::string::npos);  // the profile's language wins
  EXPECT_NE(profile.body.find("Профиль"), std::string::npos);
}

TEST_F(Accounts, LanguageFollowsAcceptLanguageAndTheSwitcher) {
  HttpClient c(server->baseUrl());
  auto r = c.get("/login", {{"Accept-Language", "ru-RU,ru;q=0.9,en;q=0.5"}});
  EXPECT_NE(r.body.find("Вход"), std::string::npos);
  r = c.postForm("/lang", {{"lang", "en"}, {"next", "/login"}}, "/login");
  EXPECT_EQ(r.status, 303);
  r = c.get("/login", {{"Accept-Language", "ru"}});
  EXPECT_NE(r.body.find("Log in"), std::string::npos);
  EXPECT_EQ(r.body.find("Вход"), std::string::npos);
}

TEST_F(Accounts, CommandLineCreatesUsersRolesAndTokens) {
  auto r = server->cli(
      {"createsuperuser", "--email", "root@example.com", "--password", "Lampa-Kompot-Tucha-19"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  r = server->cli(
      {"createsuperuser", "--email", "root@example.com", "--password", "Lampa-Kompot-Tucha-19"});
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.err.find("already exists"), std::string::npos);
  r = server->cli({"user", "create", "--email", "bad", "--password", kStrongPassword});
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.err.find("invalid email"), std::string::npos);
  r = server->cli({"role", "grant", "--email", "root@example.com", "--role", "wizard"});
  EXPECT_NE(r.exitCode, 0);
  r = server->cli({"version"});
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_NE(r.out.find("mailwright"), std::string::npos);
  r = server->cli({"--help"});
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_NE(r.out.find("createsuperuser"), std::string::npos);
  r = server->cli({"frobnicate"});
  EXPECT_NE(r.exitCode, 0);

  createUser(*server, "hank@example.com");
  std::string token = tokenFor(*server, "hank@example.com");
  HttpClient api(server->baseUrl());
  EXPECT_EQ(api.getJson("/api/v1/clients", token).status, 200);
  EXPECT_EQ(api.getJson("/api/v1/clients", "mw_wrong").status, 401);
  EXPECT_EQ(api.getJson("/api/v1/clients").status, 401);
  // A plain user is not a manager.
  EXPECT_EQ(api.getJson("/api/v1/users", token).status, 403);
  r = server->cli({"role", "grant", "--email", "hank@example.com", "--role", "manager"});
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_EQ(api.getJson("/api/v1/users", token).status, 200);

  // Tokens made in the profile page work, and revoked ones stop at once.
  HttpClient c(server->baseUrl());
  ASSERT_EQ(login(c, "root@example.com", "Lampa-Kompot-Tucha-19").status, 303);
  auto page = c.postForm("/profile/tokens", {{"name", "crm"}}, "/profile/tokens");
  auto pos = page.body.find("id=\"new-token\">");
  ASSERT_NE(pos, std::string::npos);
  pos += 15;
  std::string fresh = page.body.substr(pos, page.body.find('<', pos) - pos);
  EXPECT_EQ(api.getJson("/api/v1/stats", fresh).status, 200);
  auto rev = page.body.find("/profile/tokens/");
  std::string action = page.body.substr(rev, page.body.find('"', rev) - rev);
  EXPECT_EQ(c.postForm(action, {}, "/profile/tokens").status, 303);
  EXPECT_EQ(api.getJson("/api/v1/stats", fresh).status, 401);
}
