// Per-destination limits (issue 14.2) in one process: the setting's syntax, the window and the
// connections per destination, the spread of what waits, and the slow-down after a 421/451.
#include "delivery/destinations.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <ctime>
#include <set>
#include <thread>

#include "process.h"

using namespace mw::delivery;

namespace {

std::vector<Job> jobsTo(const std::vector<std::string>& emails) {
  std::vector<Job> jobs;
  std::int64_t id = 1;
  for (const auto& e : emails) {
    Job j;
    j.deliveryId = id++;
    j.email = e;
    jobs.push_back(j);
  }
  return jobs;
}

std::vector<std::string> addresses(int n, const std::string& domain) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back("u" + std::to_string(i) + "@" + domain);
  return out;
}

}  // namespace

TEST(DestinationLimits, ParsesGroupsConnectionsAndRates) {
  auto limits =
      parseDestinationLimits(" Gmail.com|googlemail.com:20:3000/m; yandex.ru:5:10/s;*:0:0");
  ASSERT_EQ(limits.size(), 3u);
  EXPECT_EQ(limits[0].domains, (std::vector<std::string>{"gmail.com", "googlemail.com"}));
  EXPECT_EQ(limits[0].connections, 20);
  EXPECT_EQ(limits[0].rate.count, 3000);
  EXPECT_EQ(limits[0].rate.seconds, 60);
  EXPECT_EQ(limits[1].rate.seconds, 1);
  EXPECT_FALSE(limits[2].limited());
  EXPECT_NO_THROW(parseDestinationLimits(kDefaultDestinationLimits));
  EXPECT_TRUE(parseDestinationLimits("").empty());
}

TEST(DestinationLimits, ABadEntryIsNamedInTheError) {
  for (const char* bad : {"gmail.com:20", "gmail.com:x:3000/m", "gmail.com:20:fast",
                          "a@b.com:1:1/s", ":1:1/s", "gmail.com:-1:1/s"}) {
    try {
      parseDestinationLimits(std::string("yandex.ru:1:1/s;") + bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
}

TEST(DestinationLimits, GroupsShareAWindowAndOtherDomainsFollowTheDefault) {
  Destinations d(parseDestinationLimits("gmail.com|googlemail.com:0:3/m;*:0:2/m"), "", "w");
  std::string name;
  ASSERT_NE(d.limitOf("googlemail.com", name), nullptr);
  EXPECT_EQ(name, "gmail.com");
  ASSERT_NE(d.limitOf("example.org", name), nullptr);
  EXPECT_EQ(name, "example.org");  // a window of its own

  auto jobs = jobsTo({"a@gmail.com", "b@googlemail.com", "c@GMAIL.COM", "d@gmail.com",
                      "e@example.org", "f@example.org", "g@example.org", "h@example.net"});
  DestinationLeases leases;
  auto later = d.admit(jobs, leases, 1000);
  std::set<std::int64_t> sent;
  for (const auto& j : jobs) sent.insert(j.deliveryId);
  EXPECT_EQ(sent, (std::set<std::int64_t>{1, 2, 3, 5, 6, 8}));
  ASSERT_EQ(later.size(), 2u);
  // Each waits for its window: about a minute, never now.
  for (const auto& l : later) {
    EXPECT_GE(l.at, 1000 + 59) << l.deliveryId;
    EXPECT_LE(l.at, 1000 + 61) << l.deliveryId;
  }
}

TEST(DestinationLimits, WhatWaitsIsSpreadAtTheDestinationsPaceAcrossBatches) {
  Destinations d(parseDestinationLimits("gmail.com:0:60/m"), "", "w");
  DestinationLeases leases;
  auto first = jobsTo(addresses(100, "gmail.com"));
  auto later = d.admit(first, leases, 1000);
  EXPECT_EQ(first.size(), 60u);
  ASSERT_EQ(later.size(), 40u);
  // One a second from when the window frees: 1060, 1061, ... 1099.
  EXPECT_GE(later.front().at, 1059);
  EXPECT_LE(later.front().at, 1061);
  EXPECT_GE(later.back().at - later.front().at, 38);
  // The next batch queues behind them rather than on the same seconds.
  auto second = jobsTo(addresses(10, "gmail.com"));
  auto more = d.admit(second, leases, 1000);
  EXPECT_TRUE(second.empty());
  ASSERT_EQ(more.size(), 10u);
  EXPECT_GE(more.front().at, later.back().at);
}

TEST(DestinationLimits, ConnectionsAreHeldUntilTheBatchIsDone) {
  Destinations d(parseDestinationLimits("mail.ru:1:0"), "", "w");
  DestinationLeases one, two;
  auto a = jobsTo(addresses(5, "mail.ru"));
  EXPECT_TRUE(d.admit(a, one, 1000).empty());
  EXPECT_EQ(a.size(), 5u);
  auto b = jobsTo(addresses(5, "mail.ru"));
  auto waiting = d.admit(b, two, 1000);
  EXPECT_TRUE(b.empty());
  ASSERT_EQ(waiting.size(), 5u);
  EXPECT_EQ(waiting.front().at, 1001);
  d.release(one);
  auto c = jobsTo(addresses(5, "mail.ru"));
  EXPECT_TRUE(d.admit(c, two, 1000).empty());
  EXPECT_EQ(c.size(), 5u);
}

TEST(DestinationLimits, ASlowDownHalvesTheRateOnceForAWhile) {
  Destinations d(parseDestinationLimits("yandex.ru:0:40/m"), "", "w");
  d.slowDown("x@yandex.ru");
  d.slowDown("y@yandex.ru");    // the same signal within 10 s: halved once
  d.slowDown("z@example.com");  // not limited: nothing to lower
  auto states = d.states();
  ASSERT_EQ(states.size(), 1u);
  EXPECT_EQ(states[0].name, "yandex.ru");
  EXPECT_DOUBLE_EQ(states[0].factor, 0.5);
  auto jobs = jobsTo(addresses(40, "yandex.ru"));
  DestinationLeases leases;
  auto later = d.admit(jobs, leases, 1000);
  EXPECT_EQ(jobs.size(), 20u);
  EXPECT_EQ(later.size(), 20u);
  EXPECT_EQ(d.states()[0].inWindow, 20);
}

// Two senders (two objects, as two processes would hold) on the test Redis: one window, one
// count of connections and one slow-down for both. Destination names are unique per run, so
// tests running at once share nothing.
TEST(DestinationLimits, SendersShareWindowsConnectionsAndSlowDownsThroughRedis) {
  const std::string url = mw::test::envOr("MW_TEST_REDIS_URL");
  if (url.empty()) {
    if (mw::test::envOr("MW_REQUIRE_SERVERS") == "1") ADD_FAILURE() << "MW_TEST_REDIS_URL unset";
    GTEST_SKIP() << "needs MW_TEST_REDIS_URL (scripts/test-servers.sh)";
  }
  const std::string domain =
      "t" + std::to_string(::getpid()) + "-" + std::to_string(std::time(nullptr)) + ".example";
  const std::string setting = domain + ":1:40/m";
  Destinations a(parseDestinationLimits(setting), url, "a");
  Destinations b(parseDestinationLimits(setting), url, "b");
  DestinationLeases la, lb;
  auto first = jobsTo(addresses(30, domain));
  EXPECT_TRUE(a.admit(first, la, 1000).empty());
  // b finds the one connection taken by a.
  auto second = jobsTo(addresses(30, domain));
  auto waiting = b.admit(second, lb, 1000);
  EXPECT_TRUE(second.empty());
  EXPECT_EQ(waiting.size(), 30u);
  a.release(la);
  // Then 10 places are left of the 40 in the minute, for both.
  second = jobsTo(addresses(30, domain));
  waiting = b.admit(second, lb, 1000);
  EXPECT_EQ(second.size(), 10u);
  ASSERT_EQ(waiting.size(), 20u);
  EXPECT_GE(waiting.front().at, 1000 + 58);
  b.release(lb);
  auto sa = a.states();
  ASSERT_EQ(sa.size(), 1u);
  EXPECT_EQ(sa[0].inWindow, 40);
  // A slow-down that b meets is a's too.
  b.slowDown("x@" + domain);
  EXPECT_DOUBLE_EQ(a.states()[0].factor, 0.5);
}

TEST(DestinationLimits, TheSettingAddsToTheDefaultsAndCanLiftOne) {
  auto limits = destinationLimits("mail.ru:2:100/m; gmail.com:0:0");
  Destinations d(limits, "", "w");
  std::string name;
  const auto* mailRu = d.limitOf("mail.ru", name);
  ASSERT_NE(mailRu, nullptr);
  EXPECT_EQ(mailRu->connections, 2);
  EXPECT_EQ(d.limitOf("gmail.com", name), nullptr);       // lifted
  EXPECT_NE(d.limitOf("googlemail.com", name), nullptr);  // the rest of its group stays
  EXPECT_NE(d.limitOf("inbox.ru", name), nullptr);        // mail.ru's group, from the defaults
  EXPECT_NE(d.limitOf("yandex.ru", name), nullptr);
  EXPECT_EQ(d.limitOf("example.com", name), nullptr);
}

// With every other domain limited, a list of many domains leaves no window behind once each is
// idle (their windows of 1 s have passed).
TEST(DestinationLimits, IdleWindowsOfManyDomainsAreForgotten) {
  Destinations d(parseDestinationLimits("*:0:5/s"), "", "w");
  DestinationLeases leases;
  for (int i = 0; i < 1500; ++i) {
    auto jobs = jobsTo({"a@d" + std::to_string(i) + ".example"});
    d.admit(jobs, leases, 1000);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  for (int i = 0; i < 1000; ++i) {
    auto jobs = jobsTo({"a@again.example"});
    d.admit(jobs, leases, 1000);
  }
  EXPECT_LT(d.windowsKept(), 10u);
}
