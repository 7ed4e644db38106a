// The contact form: validated, stored, mailed to the administrators, rate-limited.
#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <set>
#include <thread>

#include "blog_helpers.h"

using namespace mw::test;
using namespace mw::test::blog;

namespace {

class Contact : public ::testing::Test {
 protected:
  void SetUp() override {
    smtp = std::make_unique<SmtpCapture>();
    server = std::make_unique<MailwrightServer>(ServerOptions{.smtp = smtp.get()});
    MW_SKIP_IF_UNAVAILABLE();
    createUser(*server, "boss@example.com", kStrongPassword, "admin");
    createUser(*server, "second-boss@example.com", kStrongPassword, "admin");
    createUser(*server, "user@example.com");
  }
  std::int64_t stored() { return dbScalar(*server, "SELECT COUNT(*) FROM contact_messages"); }
  Response send(HttpClient& c, const std::string& name, const std::string& email,
                const std::string& message) {
    return c.postForm("/contact", {{"name", name}, {"email", email}, {"message", message}});
  }
  std::unique_ptr<SmtpCapture> smtp;
  std::unique_ptr<MailwrightServer> server;
};

}  // namespace

TEST_F(Contact, AMessageIsStoredAndMailedToEveryAdministrator) {
  HttpClient anon(server->baseUrl());
  auto page = anon.get("/contact");
  ASSERT_EQ(page.status, 200);
  EXPECT_FALSE(csrfFrom(page.body).empty());
  auto r = send(anon, "Ольга Иванова", "olga@example.com",
                "Здравствуйте!\nКак подключить свой SMTP-сервер?");
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(r.location(), "/contact");
  EXPECT_TRUE(contains(anon.get("/contact").body, "Your message has been sent"));

  EXPECT_EQ(stored(), 1);
  EXPECT_EQ(dbScalar(*server,
                     "SELECT COUNT(*) FROM contact_messages WHERE name = $1 AND email = $2 AND "
                     "message = $3 AND mailed = 1",
                     {"Ольга Иванова", "olga@example.com",
                      "Здравствуйте!\nКак подключить свой SMTP-сервер?"}),
            1);

  auto mails = smtp->waitForMessages(2);
  ASSERT_EQ(mails.size(), 2u);
  std::set<std::string> to;
  for (const auto& m : mails) {
    ASSERT_EQ(m.rcptTos.size(), 1u);
    to.insert(m.rcptTos[0]);
    auto d = m.decoded();
    EXPECT_TRUE(contains(d->getValue<std::string>("subject"), "Ольга Иванова"));
    std::string text = d->getValue<std::string>("text");
    EXPECT_TRUE(contains(text, "olga@example.com"));
    EXPECT_TRUE(contains(text, "Как подключить свой SMTP-сервер?"));
    // Reply answers the visitor.
    EXPECT_EQ(d->getObject("headers")->getValue<std::string>("reply-to"),
              "Ольга Иванова <olga@example.com>");
  }
  EXPECT_EQ(to, (std::set<std::string>{"boss@example.com", "second-boss@example.com"}));
}

TEST_F(Contact, SignedInUsersFindTheirNameAndEmailFilledIn) {
  HttpClient c(server->baseUrl());
  ASSERT_EQ(login(c, "user@example.com").status, 303);
  auto page = c.get("/contact");
  EXPECT_TRUE(contains(page.body, "value=\"user@example.com\""));
}

TEST_F(Contact, InvalidInputIsShownBesideTheFieldsAndNothingIsStoredOrSent) {
  HttpClient anon(server->baseUrl());
  auto r = send(anon, "", "not-an-email", "   ");
  EXPECT_EQ(r.status, 422);
  EXPECT_TRUE(errorBeside(r.body, "name", "This field is required.")) << r.body;
  EXPECT_TRUE(errorBeside(r.body, "email", "Enter a valid email address.")) << r.body;
  EXPECT_TRUE(errorBeside(r.body, "message", "This field is required.")) << r.body;
  EXPECT_TRUE(contains(r.body, "value=\"not-an-email\""));

  r = send(anon, "Пётр", "", "Текст");
  EXPECT_EQ(r.status, 422);
  EXPECT_TRUE(errorBeside(r.body, "email", "This field is required.")) << r.body;
  EXPECT_FALSE(contains(r.body, "name=\"name\" class=\"form-control is-invalid"));
  EXPECT_TRUE(contains(r.body, "value=\"Пётр\""));

  // A message that is too long is invalid input, not a rate limit.
  r = send(anon, "Пётр", "petr@example.com", std::string(5001, 'a'));
  EXPECT_EQ(r.status, 422);
  EXPECT_TRUE(errorBeside(r.body, "message", "Too long.")) << r.body;

  // Markup in the fields is shown as text.
  r = send(anon, "<script>x</script>", "bad", "m");
  EXPECT_EQ(r.status, 422);
  EXPECT_TRUE(contains(r.body, "&lt;script&gt;x&lt;/script&gt;"));
  EXPECT_FALSE(contains(r.body, "<script>x"));

  // Without the csrf token the form is refused.
  r = anon.post("/contact", {{"name", "A"}, {"email", "a@example.com"}, {"message", "m"}});
  EXPECT_EQ(r.status, 403);

  EXPECT_EQ(stored(), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(smtp->messages().empty());
}

TEST_F(Contact, TooManyMessagesFromOneAddressAreRefusedWithAClearMessage) {
  HttpClient anon(server->baseUrl());
  for (int i = 0; i < 5; ++i) {
    auto r = send(anon, "Спамер", "spam@example.com", "Сообщение " + std::to_string(i));
    ASSERT_EQ(r.status, 303) << i << r.body;
  }
  HttpClient other(server->baseUrl());  // a new session from the same address is no way around
  auto r = send(other, "Спамер", "spam@example.com", "Шестое сообщение");
  EXPECT_EQ(r.status, 429);
  EXPECT_TRUE(errorBeside(r.body, "message",
                          "You have sent several messages in the last hour. Please try again "
                          "later."))
      << r.body;
  EXPECT_TRUE(contains(r.body, "Шестое сообщение"));  // what was typed is not lost
  EXPECT_EQ(stored(), 5);
  EXPECT_EQ(smtp->waitForMessages(10).size(), 10u);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(smtp->messages().size(), 10u);

  // In Russian too.
  HttpClient ru(server->baseUrl());
  ru.setCookie("mw_lang", "ru");
  r = send(ru, "Спамер", "spam@example.com", "Седьмое");
  EXPECT_EQ(r.status, 429);
  EXPECT_TRUE(contains(r.body, "Вы уже отправили несколько сообщений за последний час."));
}
