// SIGTERM (issue 15.5): a sending process finishes its open SMTP transactions, hands back what it
// claimed but never started, and exits within SHUTDOWN_TIMEOUT; nothing stays claimed by it.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "app.h"
#include "core/db.h"
#include "domain.h"
#include "harness.h"

using namespace mw::test;
using Clock = std::chrono::steady_clock;

TEST(Shutdown, SigtermFinishesTheOpenTransactionAndHandsBackTheRest) {
  SmtpCapture smtp;
  // One connection; its first message hangs after DATA until EMAIL_TIMEOUT (3 s), while the
  // rest of the batch (50 claimed at once) waits behind it.
  MailwrightServer server(
      ServerOptions{.smtp = &smtp, .env = {{"SEND_CONCURRENCY", "1"}, {"EMAIL_TIMEOUT", "3"}}});
  MW_SKIP_IF_UNAVAILABLE();
  createUser(server, "owner@example.com");
  auto token = tokenFor(server, "owner@example.com");
  HttpClient api(server.baseUrl());
  std::vector<std::int64_t> ids{apiClient(api, token, "hang-first@example.com", "First")};
  for (int i = 0; i < 49; ++i)
    ids.push_back(apiClient(api, token, "r" + std::to_string(i) + "@example.com"));
  apiMailing(api, token, apiMessage(api, token, "Hi"), ids, "Run", "2020-01-01T09:00:00Z");
  mw::db::Database db(server.databaseUrl(), 1);
  auto count = [&](const std::string& status) {
    auto c = db.conn();
    return c.scalar("SELECT COUNT(*) FROM deliveries WHERE status = $1", {status});
  };
  auto until = Clock::now() + std::chrono::seconds(30);
  while (count("sending") == 0 && Clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_GT(count("sending"), 0) << server.logs();
  EXPECT_GT(count("claimed"), 0) << "the batch behind the open step is only claimed";

  auto t0 = Clock::now();
  EXPECT_EQ(server.stop(25), 0) << server.logs();
  double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  EXPECT_LT(seconds, 20) << "within SHUTDOWN_TIMEOUT";
  // The open step ended (the hanging message timed out: a temporary failure, retried later);
  // nothing is left claimed or sending by the stopped process, and the unstarted rest is queued
  // again at once, not after a lease.
  EXPECT_EQ(count("claimed"), 0);
  EXPECT_EQ(count("sending"), 0);
  EXPECT_GE(count("pending"), 30) << "the unstarted part of the batch was handed back";
  // At most the open step (10 messages before the first timing) went out.
  EXPECT_LE(smtp.messages().size(), 10u) << "the batch behind the open step was not sent";
}
