// Issue 13.3: DSNs and complaint reports read from the bounce mailbox, a real Dovecot POP3
// server (scripts/test-servers.sh), holding the samples of tests/fixtures/bounces in the formats
// of Postfix, Exim, Gmail, Yandex and Mail.ru. Each is matched to its delivery by the VERP
// token, or by the Message-ID when the token is gone; forged tokens, a token of another
// address and reports that are not ours change nothing; every message is deleted once read.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "app.h"
#include "domain.h"
#include "harness.h"
#include "smtp_capture.h"

using namespace mw::test;
namespace fs = std::filesystem;

namespace {

std::string fixture(const std::string& name, const std::string& token, const std::string& rcpt,
                    const std::string& msgid) {
  std::ifstream in(std::string(MW_SOURCE_DIR) + "/tests/fixtures/bounces/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  for (auto [mark, value] : {std::pair<std::string, std::string>{"{{TOKEN}}", token},
                             {"{{RCPT}}", rcpt},
                             {"{{MSGID}}", msgid}})
    for (auto p = s.find(mark); p != std::string::npos; p = s.find(mark, p + value.size()))
      s.replace(p, mark.size(), value);
  return s;
}

struct Sent {
  std::string token, messageId;
};

struct Mailbox : ::testing::Test {
  void SetUp() override {
    url = envOr("MW_TEST_POP3_URL");
    maildir = envOr("MW_TEST_POP3_MAILDIR");
    if (url.empty()) {
      if (envOr("MW_REQUIRE_SERVERS") == "1") ADD_FAILURE() << "MW_TEST_POP3_URL is not set";
      GTEST_SKIP() << "MW_TEST_POP3_URL is not set (scripts/test-servers.sh start)";
    }
    for (const char* sub : {"new", "cur"})
      for (const auto& f : fs::directory_iterator(maildir + "/" + sub)) fs::remove(f.path());
    server = std::make_unique<MailwrightServer>(
        ServerOptions{.smtp = &smtp,
                      .env = {{"BOUNCE_ADDRESS", "bounces@example.com"},
                              {"BOUNCE_MAILBOX", url},
                              {"BOUNCE_POLL_SECONDS", "1"}}});
    if (testUnavailable()) return;
    for (const char* who : {"owner@example.com", "other@example.com"}) {
      createUser(*server, who);
      tokens[who] = tokenFor(*server, who);
    }
    api = std::make_unique<HttpClient>(server->baseUrl());
  }
  // Sends a mailing of the user to these addresses; what went out to each.
  std::map<std::string, Sent> send(const std::string& user, const std::vector<std::string>& to) {
    std::vector<std::int64_t> ids;
    for (const auto& e : to) ids.push_back(clients[e] = apiClient(*api, tokens[user], e));
    auto before = smtp.messages().size();
    apiMailing(*api, tokens[user], apiMessage(*api, tokens[user], "News"), ids, "News",
               "2020-01-01T09:00:00Z");
    std::map<std::string, Sent> out;
    auto mails = smtp.waitForMessages(before + to.size(), 20);
    for (std::size_t i = before; i < mails.size(); ++i) {
      const auto& m = mails[i];
      out[m.rcptTos.at(0)] = {m.mailFrom.substr(8, m.mailFrom.find('@') - 8),
                              m.header("Message-ID")};
    }
    EXPECT_EQ(out.size(), to.size());
    return out;
  }
  void deliver(const std::string& name, const std::string& text) {
    std::ofstream(maildir + "/tmp/" + name) << text;
    fs::rename(maildir + "/tmp/" + name, maildir + "/new/" + name);
  }
  bool mailboxEmpty() { return fs::is_empty(maildir + "/new") && fs::is_empty(maildir + "/cur"); }
  std::string status(const std::string& email, const std::string& user = "owner@example.com") {
    auto r = api->getJson("/api/v1/clients/" + std::to_string(clients[email]), tokens[user]);
    return r.status == 200 ? r.json()->getValue<std::string>("status") : r.body;
  }
  std::string url, maildir;
  SmtpCapture smtp;
  std::unique_ptr<MailwrightServer> server;
  std::unique_ptr<HttpClient> api;
  std::map<std::string, std::string> tokens;
  std::map<std::string, std::int64_t> clients;
};

}  // namespace

TEST_F(Mailbox, ReportsAreMatchedRecordedAndDeleted) {
  MW_SKIP_IF_UNAVAILABLE();
  auto sent = send("owner@example.com", {"a@example.net", "b@example.net", "c@gmail.com",
                                         "d@yandex.ru", "e@mail.ru", "f@example.net"});
  auto other = send("other@example.com", {"x@example.org"});
  ASSERT_EQ(sent.size(), 6u);
  auto& a = sent["a@example.net"];
  deliver("1.postfix", fixture("postfix_dsn.eml", a.token, "a@example.net", a.messageId));
  // Exim's report whose VERP address was rewritten: the Message-ID still names the delivery.
  auto& b = sent["b@example.net"];
  deliver("2.exim", fixture("exim_dsn.eml", "x", "b@example.net", b.messageId));
  auto& c = sent["c@gmail.com"];
  deliver("3.gmail", fixture("gmail_dsn.eml", c.token, "c@gmail.com", c.messageId));
  auto& d = sent["d@yandex.ru"];
  deliver("4.yandex", fixture("yandex_arf.eml", d.token, "d@yandex.ru", d.messageId));
  auto& e = sent["e@mail.ru"];
  deliver("5.mailru", fixture("mailru_arf.eml", e.token, "", e.messageId));
  // A forged token (f's id, a made-up signature) and the other user's valid token reporting
  // f's address change nothing.
  auto& f = sent["f@example.net"];
  auto forged = f.token.substr(0, f.token.find('.') + 1) + "00000000000000000000";
  deliver("6.forged", fixture("postfix_dsn.eml", forged, "f@example.net", "<none@x>"));
  auto& x = other["x@example.org"];
  deliver("7.other", fixture("postfix_dsn.eml", x.token, "f@example.net", x.messageId));
  deliver("8.spam", "From: someone@example.org\r\nSubject: hi\r\n\r\nbuy 5.1.1 now\r\n");

  for (int i = 0; i < 200 && !mailboxEmpty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(mailboxEmpty()) << server->logs();
  EXPECT_EQ(status("a@example.net"), "bounced");
  EXPECT_EQ(status("b@example.net"), "bounced");
  EXPECT_EQ(status("c@gmail.com"), "active");  // mailbox full: one soft bounce
  EXPECT_EQ(status("d@yandex.ru"), "complained");
  EXPECT_EQ(status("e@mail.ru"), "complained");
  EXPECT_EQ(status("f@example.net"), "active");
  EXPECT_EQ(status("x@example.org", "other@example.com"), "active");
  auto list = api->getJson("/api/v1/mailings?per_page=10", tokens["owner@example.com"]).json();
  auto mailing = list->getArray("items")->getObject(0)->getValue<std::int64_t>("id");
  auto s = api->getJson("/api/v1/mailings/" + std::to_string(mailing) + "/stats",
                        tokens["owner@example.com"])
               .json();
  EXPECT_EQ(s->getValue<int>("bounced_hard"), 2) << toJson(*s);
  EXPECT_EQ(s->getValue<int>("bounced_soft"), 1);
  EXPECT_EQ(s->getValue<int>("complained"), 2);
  EXPECT_TRUE(contains(server->logs(), "3 unmatched")) << server->logs();
  // The mailing's log shows each bounce with the report's text.
  HttpClient web(server->baseUrl());
  ASSERT_EQ(login(web, "owner@example.com").status, 303);
  auto log = web.get("/mailings/" + std::to_string(mailing) + "/attempts");
  EXPECT_TRUE(contains(log.body,
                       "hard bounce 5.1.1: 550 5.1.1 &lt;a@example.net&gt;: Recipient address "
                       "rejected"))
      << log.body;
  EXPECT_TRUE(contains(log.body, "soft bounce 5.2.2: 552-5.2.2 The email account"));
  EXPECT_TRUE(contains(log.body, "complaint: complaint (abuse)"));

  // The same report again (a poll cut short) changes nothing.
  deliver("9.again", fixture("gmail_dsn.eml", c.token, "c@gmail.com", c.messageId));
  for (int i = 0; i < 100 && !mailboxEmpty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(mailboxEmpty());
  s = api->getJson("/api/v1/mailings/" + std::to_string(mailing) + "/stats",
                   tokens["owner@example.com"])
          .json();
  EXPECT_EQ(s->getValue<int>("bounced_soft"), 1);
}
