// A delivery that kills its worker (here: the process is killed each time it is sending it) is
// retried a bounded number of times, then failed as "interrupted repeatedly"; the run goes on.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <thread>

#include "app.h"
#include "core/db.h"
#include "domain.h"
#include "harness.h"

using namespace mw::test;

namespace {

std::string statusOf(mw::db::Database& db, const std::string& email) {
  auto c = db.conn();
  auto rows = c.query("SELECT status FROM deliveries WHERE email = $1", {email});
  return rows.empty() ? "" : rows[0]["status"].s();
}

// The worker sending it now ("" unless it is being sent).
std::string senderOf(mw::db::Database& db, const std::string& email) {
  auto c = db.conn();
  auto rows = c.query(
      "SELECT COALESCE(claimed_by, '') AS w FROM deliveries WHERE email = $1 AND status = "
      "'sending'",
      {email});
  return rows.empty() ? "" : rows[0]["w"].s();
}

bool waitFor(const std::function<bool()>& pred, int seconds) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

}  // namespace

TEST(Interrupted, ADeliveryThatKillsItsWorkerThreeTimesIsFailedAndTheRunGoesOn) {
  SmtpCapture smtp;
  // One connection, one message per batch (the victim is the only one in flight at each kill),
  // and a hanging SMTP answer that outlasts every kill.
  MailwrightServer server(ServerOptions{.smtp = &smtp,
                                        .env = {{"WORKER_LEASE_SECONDS", "2"},
                                                {"EMAIL_TIMEOUT", "120"},
                                                {"SEND_CONCURRENCY", "1"},
                                                {"SEND_RATE", "1"}}});
  MW_SKIP_IF_UNAVAILABLE();
  createUser(server, "owner@example.com");
  auto token = tokenFor(server, "owner@example.com");
  HttpClient api(server.baseUrl());
  std::vector<std::int64_t> ids{apiClient(api, token, "hang-victim@example.com", "Victim")};
  for (int i = 0; i < 3; ++i)
    ids.push_back(apiClient(api, token, "ok" + std::to_string(i) + "@example.com"));
  auto id =
      apiMailing(api, token, apiMessage(api, token, "Hi"), ids, "Run", "2020-01-01T09:00:00Z");
  mw::db::Database db(server.databaseUrl(), 1);
  std::string killed;
  for (int kill = 1; kill <= 3; ++kill) {
    // Sending by a live worker: not the one killed last time (its claim waits for the lease).
    ASSERT_TRUE(waitFor(
        [&] {
          auto w = senderOf(db, "hang-victim@example.com");
          return !w.empty() && w != killed;
        },
        30))
        << "kill " << kill << ": " << statusOf(db, "hang-victim@example.com") << server.logs();
    killed = senderOf(db, "hang-victim@example.com");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    server.kill9();
    server.start();
  }
  ASSERT_TRUE(waitFor([&] { return statusOf(db, "hang-victim@example.com") == "failed"; }, 30))
      << statusOf(db, "hang-victim@example.com") << server.logs();
  // Everybody else got the message, and the run finished.
  auto dump = [&] {
    std::string out;
    auto c = db.conn();
    for (const auto& r : c.query("SELECT email, status, interruptions, attempts FROM deliveries"))
      out += r["email"].s() + " " + r["status"].s() + " " + std::to_string(r["interruptions"].i()) +
             " " + std::to_string(r["attempts"].i()) + "\n";
    return out;
  };
  EXPECT_EQ(smtp.waitForMessages(3, 30).size(), 3u) << dump();
  Poco::JSON::Object::Ptr s;
  ASSERT_TRUE(waitFor(
      [&] {
        s = api.getJson("/api/v1/mailings/" + std::to_string(id) + "/stats", token).json();
        return s->getValue<int>("success") == 3 && s->getValue<int>("failure") == 1;
      },
      30));
  auto c = db.conn();
  EXPECT_EQ(c.scalar("SELECT COUNT(*) FROM attempts WHERE email = $1 AND reply = $2",
                     {"hang-victim@example.com", "interrupted repeatedly"}),
            1);
  EXPECT_EQ(c.scalar("SELECT interruptions FROM deliveries WHERE email = $1",
                     {"hang-victim@example.com"}),
            3);
  ASSERT_TRUE(waitFor(
      [&] {
        auto m = api.getJson("/api/v1/mailings/" + std::to_string(id), token).json();
        return m->getValue<std::string>("status") == "completed";
      },
      20));
  // The reports count the failed one as sent and not delivered, once.
  auto report = api.getJson("/api/v1/reports", token).json();
  EXPECT_EQ(report->getValue<int>("sent"), 4);
  EXPECT_EQ(report->getValue<int>("delivered"), 3);
  EXPECT_TRUE(server.running());
}

// A claim whose answer was lost with its connection (the server committed it, the worker saw an
// error) leaves deliveries claimed by a live worker, which its lease never frees: the worker
// queues again what it claimed more than 10 s ago and no slot of it holds.
TEST(Interrupted, AClaimNoSlotHoldsIsQueuedAgainByItsOwnWorker) {
  SmtpCapture smtp;
  MailwrightServer server(ServerOptions{.smtp = &smtp});
  MW_SKIP_IF_UNAVAILABLE();
  createUser(server, "owner@example.com");
  auto token = tokenFor(server, "owner@example.com");
  HttpClient api(server.baseUrl());
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 3; ++i)
    ids.push_back(apiClient(api, token, "c" + std::to_string(i) + "@example.com"));
  apiMailing(api, token, apiMessage(api, token, "Hi"), ids, "Run", "2020-01-01T09:00:00Z");
  ASSERT_EQ(smtp.waitForMessages(3, 30).size(), 3u);
  mw::db::Database db(server.databaseUrl(), 1);
  // Its outcome recorded first (within ~100 ms of the reply): else the late record of the first
  // send moves the forged claim to "sent" and nothing is sent again (seen once on SQLite).
  ASSERT_TRUE(waitFor([&] { return statusOf(db, "c1@example.com") == "sent"; }, 10));
  {
    auto c = db.conn();
    // As a lost claim leaves it: claimed a minute ago by the serving process, which is alive.
    auto worker = c.query("SELECT id FROM workers ORDER BY heartbeat_at DESC LIMIT 1");
    ASSERT_EQ(worker.size(), 1u);
    c.exec(
        "UPDATE deliveries SET status = 'claimed', claimed_by = $1, claimed_at = $2 WHERE email = "
        "'c1@example.com'",
        {worker[0]["id"].s(), static_cast<std::int64_t>(std::time(nullptr)) - 60});
  }
  EXPECT_TRUE(waitFor([&] { return statusOf(db, "c1@example.com") == "sent"; }, 20))
      << statusOf(db, "c1@example.com") << server.logs();
  EXPECT_EQ(smtp.waitForMessages(4, 10).size(), 4u);
  EXPECT_TRUE(contains(server.logs(), "queued again 1 deliveries")) << server.logs();
}
