// Limits per destination domain (issue 14.2) through the real binary, on both databases: a
// serve and two workers sharing one Redis keep a domain's pace between them while other mail
// goes on; waiting is not an attempt; a 451 from a domain halves its pace, shown to the admin.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "app.h"
#include "core/db.h"
#include "domain.h"
#include "harness.h"

using namespace mw::test;

namespace {

// A domain no other test (or earlier run on the shared Redis) uses.
std::string uniqueDomain(const std::string& tag) {
  return tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(std::time(nullptr)) +
         ".example";
}

class Destinations : public ::testing::Test {
 protected:
  void start(const Env& env) {
    server = std::make_unique<MailwrightServer>(ServerOptions{.smtp = &smtp, .env = env});
    MW_SKIP_IF_UNAVAILABLE();
    createUser(*server, "owner@example.com");
    createUser(*server, "root@example.com", kStrongPassword, "admin");
    token = tokenFor(*server, "owner@example.com");
    rootToken = tokenFor(*server, "root@example.com");
    api = std::make_unique<HttpClient>(server->baseUrl());
  }
  // A once-mailing to the addresses, sent at once.
  std::int64_t mailing(const std::vector<std::string>& emails) {
    std::string ids;
    for (const auto& e : emails)
      ids += (ids.empty() ? "" : ",") + std::to_string(apiClient(*api, token, e));
    auto msg = apiMessage(*api, token, "Hi", "Hello {{name}}");
    auto r =
        api->postJson("/api/v1/mailings",
                      R"({"name":"D","message_id":)" + std::to_string(msg) + R"(,"client_ids":[)" +
                          ids + R"(],"start_at":")" + isoIn(-60) + "\"}",
                      token);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? r.json()->getValue<std::int64_t>("id") : 0;
  }
  bool redisAvailable() {
    if (!envOr("MW_TEST_REDIS_URL").empty()) return true;
    if (envOr("MW_REQUIRE_SERVERS") == "1") ADD_FAILURE() << "MW_TEST_REDIS_URL is not set";
    return false;
  }

  SmtpCapture smtp;
  std::unique_ptr<MailwrightServer> server;
  std::unique_ptr<HttpClient> api;
  std::string token, rootToken;
};

std::vector<std::string> addresses(int n, const std::string& prefix, const std::string& domain) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i) + "@" + domain);
  return out;
}

}  // namespace

// 80 messages to a domain of 20 per 10 s, sent by three processes at once: 20 every 10 s; the
// 15 to another domain go out at once beside them. Batches of 20 (SEND_RATE 40 over 2 slots)
// let every slot of every process claim some at the start: counting alone, each process would
// send 20 in the first seconds (checked: 40 in 8 s with Redis out of reach).
TEST_F(Destinations, ThreeSendersKeepADomainsPaceTogetherAndOtherMailGoesOn) {
  if (!redisAvailable()) GTEST_SKIP() << "needs MW_TEST_REDIS_URL";
  const std::string limited = uniqueDomain("paced");
  start({{"REDIS_URL", envOr("MW_TEST_REDIS_URL")},
         {"DESTINATION_LIMITS", limited + ":2:20/10s"},
         {"SEND_CONCURRENCY", "2"},
         {"SEND_RATE", "40"}});
  MW_SKIP_IF_UNAVAILABLE();
  TempDir logs;
  std::vector<std::unique_ptr<ChildProcess>> workers;
  for (int i = 0; i < 2; ++i)
    workers.push_back(std::make_unique<ChildProcess>(
        std::vector<std::string>{mailwrightBinary(), "worker"}, server->env(),
        logs.file("worker" + std::to_string(i) + ".log")));
  // Every sender up (its heartbeat row) before the mailing, so that all of them claim at once.
  mw::db::Database db(server->databaseUrl(), 1);
  auto c = db.conn();
  for (int i = 0; i < 300 && c.scalar("SELECT COUNT(*) FROM workers") < 3; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_EQ(c.scalar("SELECT COUNT(*) FROM workers"), 3);
  auto emails = addresses(80, "p", limited);
  for (const auto& e : addresses(15, "o", "example.org")) emails.push_back(e);
  const auto id = mailing(emails);
  ASSERT_GT(id, 0);
  auto got = smtp.waitForMessages(95, 120);
  ASSERT_EQ(got.size(), 95u) << server->logs();

  std::vector<double> paced, other;
  for (const auto& m : got)
    (m.rcptTos.at(0).ends_with("@" + limited) ? paced : other).push_back(m.receivedAt);
  ASSERT_EQ(paced.size(), 80u);
  // Never more than 20 in a window (8 s of arrivals: 2 s for a slow send after its place).
  EXPECT_LE(busiest(paced, 8), 20);
  const double first = *std::min_element(paced.begin(), paced.end());
  EXPECT_GE(*std::max_element(paced.begin(), paced.end()) - first, 28.0);
  // The other domain did not wait behind the paced one.
  EXPECT_LT(*std::max_element(other.begin(), other.end()), first + 8);

  // Waiting was no attempt: one per message, every delivery sent (recorded within a second).
  for (int i = 0;
       i < 50 && c.scalar("SELECT COUNT(*) FROM attempts WHERE mailing_id = $1", {id}) < 95; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(c.scalar("SELECT COUNT(*) FROM attempts WHERE mailing_id = $1", {id}), 95);
  EXPECT_EQ(
      c.scalar("SELECT COUNT(*) FROM deliveries WHERE mailing_id = $1 AND status = 'sent'", {id}),
      95);

  // The admin sees the limit, shared through Redis; an owner does not.
  auto list = api->getJson("/api/v1/destinations", rootToken);
  ASSERT_EQ(list.status, 200);
  EXPECT_TRUE(contains(list.body, "\"name\":\"" + limited + "\"")) << list.body;
  EXPECT_TRUE(contains(list.body, "\"rate\":\"20/10s\""));
  EXPECT_TRUE(contains(list.body, "\"shared\":true"));
  EXPECT_EQ(api->getJson("/api/v1/destinations", token).status, 403);
}

// The embedded default (no Redis): one process counts alone. A 451 from the domain halves its
// pace, on the admin page; the message itself is retried and arrives.
TEST_F(Destinations, A451SlowsItsDomainDownAndTheAdminSeesIt) {
  const std::string limited = uniqueDomain("slow");
  start({{"DESTINATION_LIMITS", limited + ":0:40/m"}, {"RETRY_BASE_SECONDS", "1"}});
  MW_SKIP_IF_UNAVAILABLE();
  HttpClient admin(server->baseUrl());
  ASSERT_EQ(login(admin, "root@example.com").status, 303);
  auto page = admin.get("/admin/destinations");
  ASSERT_EQ(page.status, 200);
  EXPECT_TRUE(contains(page.body, "data-destination=\"" + limited + "\"")) << page.body;
  EXPECT_TRUE(contains(page.body, "data-destination=\"gmail.com\""));  // the defaults stay
  EXPECT_FALSE(contains(page.body, "text-bg-warning"));

  mailing({"tempfail1@" + limited, "fine@" + limited});
  auto got = smtp.waitForMessages(2, 60);
  EXPECT_EQ(got.size(), 2u) << server->logs();
  auto list = api->getJson("/api/v1/destinations", rootToken);
  ASSERT_EQ(list.status, 200);
  EXPECT_TRUE(contains(list.body, "\"pace\":0.5")) << list.body;
  EXPECT_TRUE(contains(list.body, "\"shared\":false"));
  page = admin.get("/admin/destinations");
  EXPECT_TRUE(contains(page.body, "text-bg-warning")) << page.body;
  EXPECT_TRUE(contains(page.body, "50%"));
  admin.setCookie("mw_lang", "ru");
  EXPECT_TRUE(contains(admin.get("/admin/destinations").body, "Ограничения по доменам"));
}

// A setting that cannot be read stops the sender at once, naming the entry.
TEST_F(Destinations, AMalformedSettingIsRefusedAtStart) {
  start({});
  MW_SKIP_IF_UNAVAILABLE();
  Env env = server->env();
  env["DESTINATION_LIMITS"] = "gmail.com:lots:3000/m";
  TempDir logs;
  ChildProcess worker({mailwrightBinary(), "worker"}, env, logs.file("worker.log"));
  EXPECT_TRUE(worker.waitExit(20));
  EXPECT_NE(worker.exitCode(), 0);
  EXPECT_TRUE(contains(worker.log(), "DESTINATION_LIMITS: 'gmail.com:lots:3000/m'"))
      << worker.log();
}
