// Issue 13: bounces during the SMTP dialogue (classified by enhanced status code), the client
// status they set, the rules that keep later runs from the client, the mailing's figures, and
// auto-pause. Real binary, real SMTP server (scripts/smtp_server.py), both databases.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <thread>

#include "app.h"
#include "domain.h"
#include "harness.h"
#include "smtp_capture.h"

using namespace mw::test;

namespace {

struct Bounces : ::testing::Test {
  void start(Env env) {
    env.emplace("BOUNCE_ADDRESS", "bounces@example.com");
    env.emplace("SEND_CONCURRENCY", "1");
    env.emplace("RETRY_MAX", "1");
    server = std::make_unique<MailwrightServer>(ServerOptions{.smtp = &smtp, .env = env});
    if (testUnavailable()) return;
    createUser(*server, "owner@example.com");
    token = tokenFor(*server, "owner@example.com");
    api = std::make_unique<HttpClient>(server->baseUrl());
  }
  Poco::JSON::Object::Ptr stats(std::int64_t id) {
    auto r = api->getJson("/api/v1/mailings/" + std::to_string(id) + "/stats", token);
    EXPECT_EQ(r.status, 200) << r.body << server->logs();
    return r.json();
  }
  // Waits until the mailing's last run is finished.
  Poco::JSON::Object::Ptr waitRun(std::int64_t id, int seconds = 30) {
    for (int i = 0; i < seconds * 10; ++i) {
      auto s = stats(id);
      if (s->has("last_run") && s->getObject("last_run")->getValue<bool>("finished")) return s;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "run of mailing " << id << " did not finish";
    return stats(id);
  }
  std::string clientStatus(std::int64_t id) {
    return api->getJson("/api/v1/clients/" + std::to_string(id), token)
        .json()
        ->getValue<std::string>("status");
  }
  std::int64_t sendAgain(std::int64_t id) {
    auto r = api->postJson("/api/v1/mailings/" + std::to_string(id) + "/send",
                           R"({"audience":"all"})", token);
    EXPECT_LT(r.status, 300) << r.body;
    return r.status < 300 && r.json()->has("run_id") ? r.json()->getValue<std::int64_t>("run_id")
                                                     : 0;
  }
  SmtpCapture smtp;
  std::unique_ptr<MailwrightServer> server;
  std::unique_ptr<HttpClient> api;
  std::string token;
};

}  // namespace

TEST_F(Bounces, SmtpRepliesAreClassifiedAndTheRulesStopTheClient) {
  start({});
  MW_SKIP_IF_UNAVAILABLE();
  auto ok = apiClient(*api, token, "ok@example.com");
  auto gone = apiClient(*api, token, "permfail-gone@example.com");
  auto full = apiClient(*api, token, "fullbox-1@example.com");
  auto id = apiMailing(*api, token, apiMessage(*api, token, "News"), {ok, gone, full}, "News",
                       "2020-01-01T09:00:00Z");
  auto s = waitRun(id);
  EXPECT_EQ(s->getValue<int>("bounced_hard"), 1) << toJson(*s);
  EXPECT_EQ(s->getValue<int>("bounced_soft"), 1) << toJson(*s);
  EXPECT_EQ(s->getValue<int>("complained"), 0);
  EXPECT_EQ(s->getValue<int>("unsubscribed"), 0);
  EXPECT_EQ(clientStatus(ok), "active");
  EXPECT_EQ(clientStatus(gone), "bounced");
  EXPECT_EQ(clientStatus(full), "active");  // one soft bounce of three
  // The message went out with a VERP envelope sender and a Message-ID naming its delivery.
  auto mails = smtp.waitForMessages(1, 10);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].mailFrom.rfind("bounces+", 0), 0u) << mails[0].mailFrom;
  EXPECT_TRUE(contains(mails[0].mailFrom, "@example.com"));
  auto verp = mails[0].mailFrom.substr(8, mails[0].mailFrom.find('@') - 8);
  EXPECT_EQ(mails[0].header("Message-ID"), "<mw." + verp + "@localhost>");
  EXPECT_EQ(mails[0].header("X-PM-Metadata-mw-token"), verp);

  // Two more runs: the bounced client is left out; the third soft bounce in 30 days stops
  // fullbox too, so the last run has only ok.
  sendAgain(id);
  waitRun(id);
  sendAgain(id);
  s = waitRun(id);
  EXPECT_EQ(s->getObject("last_run")->getValue<int>("total"), 2) << toJson(*s);
  EXPECT_EQ(s->getValue<int>("bounced_hard"), 1);
  EXPECT_EQ(s->getValue<int>("bounced_soft"), 3);
  EXPECT_EQ(clientStatus(full), "bounced");
  sendAgain(id);
  s = waitRun(id);
  EXPECT_EQ(s->getObject("last_run")->getValue<int>("total"), 1) << toJson(*s);
  EXPECT_EQ(smtp.messages().size(), 4u);

  // The list filter, the API list and the client page.
  auto listed = api->getJson("/api/v1/clients?status=bounced", token);
  ASSERT_EQ(listed.status, 200) << listed.body << server->logs();
  EXPECT_EQ(listed.json()->getValue<int>("total"), 2) << listed.body;
  EXPECT_EQ(api->getJson("/api/v1/clients?status=active", token).json()->getValue<int>("total"), 1);
  HttpClient web(server->baseUrl());
  ASSERT_EQ(login(web, "owner@example.com").status, 303);
  auto page = web.get("/clients?status=bounced");
  EXPECT_TRUE(contains(page.body, "permfail-gone@example.com"));
  EXPECT_FALSE(contains(page.body, "ok@example.com"));
  auto edit = web.get("/clients/" + std::to_string(gone) + "/edit");
  EXPECT_TRUE(contains(edit.body, "id=\"client-status\"")) << edit.body;
  auto panel = web.get("/mailings/" + std::to_string(id) + "/panel");
  EXPECT_TRUE(contains(panel.body, "id=\"stat-bounced-hard\">1<")) << panel.body;
  EXPECT_TRUE(contains(panel.body, "id=\"stat-bounced-soft\">3<"));
  // The reports: 8 messages in four runs, ok's 4 delivered, each bounce counted once.
  auto report = api->getJson("/api/v1/reports", token).json();
  EXPECT_EQ(report->getValue<int>("sent"), 8) << toJson(*report);
  EXPECT_EQ(report->getValue<int>("delivered"), 4);
  EXPECT_EQ(report->getValue<int>("bounced_hard"), 1);
  EXPECT_EQ(report->getValue<int>("bounced_soft"), 3);
}

TEST_F(Bounces, HardBouncesPastTenPercentPauseTheMailingAndTellTheOwner) {
  start({{"AUTOPAUSE_MIN_DELIVERIES", "4"}, {"SEND_RATE", "5"}});
  MW_SKIP_IF_UNAVAILABLE();
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 4; ++i)
    ids.push_back(apiClient(*api, token, "permfail-" + std::to_string(i) + "@example.com"));
  for (int i = 0; i < 16; ++i)
    ids.push_back(apiClient(*api, token, "r" + std::to_string(i) + "@example.com"));
  auto id =
      apiMailing(*api, token, apiMessage(*api, token, "Hi"), ids, "Risky", "2020-01-01T09:00:00Z");
  std::string status;
  for (int i = 0; i < 200 && status != "paused"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    status = api->getJson("/api/v1/mailings/" + std::to_string(id), token)
                 .json()
                 ->getValue<std::string>("status");
  }
  ASSERT_EQ(status, "paused");
  auto m = api->getJson("/api/v1/mailings/" + std::to_string(id), token).json();
  EXPECT_TRUE(contains(m->getValue<std::string>("pause_reason"), "hard bounces")) << toJson(*m);
  // The owner's notice, through the configured SMTP.
  bool told = false;
  for (int i = 0; i < 50 && !told; ++i) {
    for (const auto& mail : smtp.messages())
      told |= !mail.rcptTos.empty() && mail.rcptTos[0] == "owner@example.com" &&
              contains(mail.decoded()->getValue<std::string>("subject"), "Risky");
    if (!told) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(told);
  EXPECT_TRUE(contains(server->logs(), "paused itself"));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto atPause = smtp.messages().size();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(smtp.messages().size(), atPause) << "sent while paused";
  HttpClient web(server->baseUrl());
  ASSERT_EQ(login(web, "owner@example.com").status, 303);
  auto page = web.get("/mailings/" + std::to_string(id));
  EXPECT_TRUE(contains(page.body, "id=\"autopause-banner\"")) << page.body;
  // Resuming is the owner's choice; the rest goes out and the reason is gone.
  EXPECT_EQ(submit(web, "/mailings/" + std::to_string(id) + "/resume", {}).status, 303);
  auto s = waitRun(id, 30);
  EXPECT_EQ(s->getValue<int>("bounced_hard"), 4);
  EXPECT_EQ(s->getObject("last_run")->getValue<int>("sent"), 16);
  page = web.get("/mailings/" + std::to_string(id));
  EXPECT_FALSE(contains(page.body, "id=\"autopause-banner\""));
}

// Complaints past 0.3% of the last deliveries pause a running mailing too (a Postmark
// SpamComplaint here, for the second message of twenty).
TEST_F(Bounces, ComplaintsPastTheirLimitPauseARunningMailing) {
  start({{"AUTOPAUSE_MIN_DELIVERIES", "2"},
         {"SEND_RATE", "2"},
         {"POSTMARK_WEBHOOK_USER", "pm"},
         {"POSTMARK_WEBHOOK_PASSWORD", "pm-secret"}});
  MW_SKIP_IF_UNAVAILABLE();
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 20; ++i)
    ids.push_back(apiClient(*api, token, "r" + std::to_string(i) + "@example.com"));
  auto id =
      apiMailing(*api, token, apiMessage(*api, token, "Hi"), ids, "Slow", "2020-01-01T09:00:00Z");
  auto mails = smtp.waitForMessages(3, 20);
  ASSERT_GE(mails.size(), 3u);
  const auto& m = mails[1];
  auto verp = m.mailFrom.substr(8, m.mailFrom.find('@') - 8);
  std::time_t t = std::time(nullptr);
  char at[32];
  std::strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  std::string body = R"({"RecordType":"SpamComplaint","ID":77,"Type":"SpamComplaint",)"
                     R"("Email":")" +
                     m.rcptTos.at(0) + R"(","BouncedAt":")" + at + R"(","Metadata":{"mw-token":")" +
                     verp + R"("}})";
  auto r = api->request("POST", "/webhooks/postmark", body, "application/json",
                        {{"Authorization", "Basic cG06cG0tc2VjcmV0"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, "\"recorded\":1")) << r.body;
  auto mailing = api->getJson("/api/v1/mailings/" + std::to_string(id), token).json();
  EXPECT_EQ(mailing->getValue<std::string>("status"), "paused");
  EXPECT_TRUE(contains(mailing->getValue<std::string>("pause_reason"), "complaints"));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto atPause = smtp.messages().size();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(smtp.messages().size(), atPause);
  EXPECT_LT(atPause, 20u);
}
