// New passwords are checked with zxcvbn (score >= PASSWORD_MIN_SCORE, 3 by default) and must not
// resemble the email or username: at registration, on change, on reset and from the CLI. The
// reason is shown beside the field in the user's language. Real binary, both databases.
#include <Poco/URI.h>
#include <gtest/gtest.h>

#include "blog_helpers.h"

using namespace mw::test;

namespace {

const Headers kRu{{"Accept-Language", "ru"}};

class Passwords : public ::testing::Test {
 protected:
  void start(Env env = {}) {
    smtp = std::make_unique<SmtpCapture>();
    server = std::make_unique<MailwrightServer>(ServerOptions{.smtp = smtp.get(), .env = env});
  }
  Response registerAs(HttpClient& c, const std::string& email, const std::string& password,
                      const std::string& username = "") {
    c.get("/register", kRu);  // the language comes from Accept-Language
    return c.postForm("/register", {{"email", email},
                                    {"username", username},
                                    {"password", password},
                                    {"password2", password}});
  }
  std::unique_ptr<SmtpCapture> smtp;
  std::unique_ptr<MailwrightServer> server;
};

}  // namespace

TEST_F(Passwords, RegistrationRefusesWeakAndSimilarPasswordsWithTheReasonInRussian) {
  start();
  MW_SKIP_IF_UNAVAILABLE();
  HttpClient c(server->baseUrl());
  c.postForm("/lang", {{"lang", "ru"}, {"next", "/register"}}, "/register");
  auto r = registerAs(c, "olga@example.com", "password");
  EXPECT_EQ(r.status, 422);
  EXPECT_TRUE(blog::errorBeside(r.body, "password", "Это распространённое слово")) << r.body;
  r = registerAs(c, "olga@example.com", "qwerty123456");
  EXPECT_EQ(r.status, 422);
  EXPECT_TRUE(blog::errorBeside(r.body, "password", "Пароль легко подобрать")) << r.body;
  r = registerAs(c, "olga.smirnova@example.com", "olga.smirnova!2026");
  EXPECT_EQ(r.status, 422);
  EXPECT_TRUE(blog::errorBeside(r.body, "password", "Пароль слишком похож")) << r.body;
  r = registerAs(c, "olga@example.com", "Zvezdochet-Kompot-77", "zvezdochet");
  EXPECT_EQ(r.status, 422);
  EXPECT_TRUE(blog::errorBeside(r.body, "password", "Пароль слишком похож")) << r.body;
  EXPECT_TRUE(smtp->messages().empty());  // nobody was created
  r = registerAs(c, "olga@example.com", kStrongPassword);
  EXPECT_EQ(r.status, 303) << r.body;
}

TEST_F(Passwords, ChangeAndResetApplyTheSameRules) {
  start();
  MW_SKIP_IF_UNAVAILABLE();
  createUser(*server, "ivan@example.com");
  HttpClient c(server->baseUrl());
  ASSERT_EQ(login(c, "ivan@example.com").status, 303);
  auto r = c.postForm("/password/change", {{"old_password", kStrongPassword},
                                           {"password", "ivan@example.com1"},
                                           {"password2", "ivan@example.com1"}});
  EXPECT_EQ(r.status, 422);
  EXPECT_TRUE(blog::errorBeside(r.body, "password", "The password is too similar")) << r.body;
  r = c.postForm("/password/change", {{"old_password", kStrongPassword},
                                      {"password", "qwerty123456"},
                                      {"password2", "qwerty123456"}});
  EXPECT_EQ(r.status, 422);
  EXPECT_TRUE(blog::errorBeside(r.body, "password", "The password is easy to guess")) << r.body;

  HttpClient anon(server->baseUrl());
  anon.postForm("/password/reset", {{"email", "ivan@example.com"}});
  auto mails = smtp->waitForMessages(1);
  ASSERT_EQ(mails.size(), 1u);
  std::string link = pathOf(findLink(mails[0].decoded()->getValue<std::string>("text"),
                                     server->baseUrl() + "/password/reset/confirm"));
  std::string token;
  Poco::URI::decode(link.substr(link.find("token=") + 6), token);
  r = anon.postForm("/password/reset/confirm",
                    {{"token", token}, {"password", "password1"}, {"password2", "password1"}},
                    link);
  EXPECT_EQ(r.status, 422);
  EXPECT_TRUE(blog::errorBeside(r.body, "password", "This is a common word")) << r.body;
  EXPECT_EQ(login(anon, "ivan@example.com").status, 303);  // the old password still works
}

TEST_F(Passwords, CommandLineRefusesWeakPasswordsAndTheScoreIsSettable) {
  start();
  MW_SKIP_IF_UNAVAILABLE();
  auto r = server->cli({"user", "create", "--email", "weak@example.com", "--password", "password"});
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.err.find("password rejected"), std::string::npos) << r.err;
  server.reset();
  start({{"PASSWORD_MIN_SCORE", "0"}});
  MW_SKIP_IF_UNAVAILABLE();
  r = server->cli({"user", "create", "--email", "weak@example.com", "--password", "qwerty123456"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  // Similar to the email is refused whatever the score.
  r = server->cli({"user", "create", "--email", "anna@example.com", "--password", "anna-2026!"});
  EXPECT_NE(r.exitCode, 0);
}
