// Issue 10, the transport under slow and idle clients: they cost a timer and a buffer, not a
// thread. Many client addresses come from the loopback /8 (127.0.0.x), under the per-address cap.
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "harness.h"
#include "raw_client.h"

using namespace mw::test;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kHealth = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";
constexpr int kHeaderDeadlineMs = 10'000;  // ServerLimits::headerTimeout

std::string sourceAddress(int i) {
  return "127.0.1." + std::to_string(10 + i / 200);
}

double millisSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

struct Slow {
  std::unique_ptr<RawConnection> conn;
  Clock::time_point opened;
};

}  // namespace

TEST(TransportLoad, SlowHeadersAreClosedByTheDeadlineWhileOthersAreServed) {
  raiseOpenFilesLimit();
  MailwrightServer server;
  MW_SKIP_IF_UNAVAILABLE();
  const int kSlow = 500;
  const auto kRun = std::chrono::seconds(30);
  std::atomic<bool> done{false};
  std::vector<double> latencies;
  std::thread probe([&] {
    while (!done) {
      auto t = Clock::now();
      RawConnection c(server.port(), "127.0.0.9");
      c.send(kHealth);
      auto r = c.read(5000);
      latencies.push_back(r && r->status == 200 ? millisSince(t) : 1e9);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  // 500 connections that send part of a header, then one byte every 3 s; an attacker opens a
  // new one whenever the server closes one, so 500 are held for the whole run.
  std::vector<Slow> slow(kSlow);
  auto open = [&](Slow& s, int i) {
    s.conn = std::make_unique<RawConnection>(server.port(), sourceAddress(i));
    s.conn->send("GET / HTTP/1.1\r\nHost: t\r\n");
    s.opened = Clock::now();
  };
  for (int i = 0; i < kSlow; ++i) open(slow[i], i);
  int closedByServer = 0;
  double longestLife = 0;
  auto start = Clock::now();
  auto nextByte = Clock::now();
  while (Clock::now() - start < kRun) {
    std::vector<pollfd> fds;
    for (auto& s : slow) fds.push_back({s.conn->fd(), POLLIN, 0});
    ::poll(fds.data(), fds.size(), 100);
    bool dribble = Clock::now() >= nextByte;
    if (dribble) nextByte = Clock::now() + std::chrono::seconds(3);
    for (int i = 0; i < kSlow; ++i) {
      bool closed =
          (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) && slow[i].conn->closedWithin(0);
      if (!closed && dribble) closed = !slow[i].conn->send("X");
      if (!closed) continue;
      ++closedByServer;
      longestLife = std::max(longestLife, millisSince(slow[i].opened));
      open(slow[i], i);
    }
  }
  for (auto& s : slow) longestLife = std::max(longestLife, millisSince(s.opened));
  done = true;
  probe.join();
  double p99 = percentile(latencies, 0.99);
  RecordProperty("healthz_p99_ms", std::to_string(p99));
  EXPECT_GT(latencies.size(), 100u);
  // Every probe is answered. The bound is loose on purpose: this runs under AddressSanitizer on a
  // shared 2-core machine (here p99 is 5-30 ms); bench/ holds the speed targets. Starved by
  // thread-per-connection, probes timed out (5 s) for the whole run.
  EXPECT_EQ(std::count(latencies.begin(), latencies.end(), 1e9), 0);
  EXPECT_LT(p99, 1000.0) << latencies.size() << " probes";
  // Every slow connection opened in the first 18 s has met the 10 s deadline: at least 500.
  EXPECT_GE(closedByServer, kSlow);
  // The deadline runs from the server's accept; this loop notices closes late under load. Without
  // the deadline, connections would live the whole 30 s run.
  EXPECT_LT(longestLife, kHeaderDeadlineMs * 2.0);
  EXPECT_TRUE(server.running());
}

TEST(TransportLoad, TwoThousandIdleKeepAliveConnectionsAreCheap) {
  ASSERT_GE(raiseOpenFilesLimit(), 2200) << "the test needs 2,000 descriptors";
  MailwrightServer server;
  MW_SKIP_IF_UNAVAILABLE();
  const int kIdle = 2000;
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < kIdle; ++i) {
    idle.push_back(std::make_unique<RawConnection>(server.port(), sourceAddress(i)));
    ASSERT_TRUE(idle.back()->send(kHealth));
  }
  for (auto& c : idle) {
    auto r = c->read(10000);
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->status, 200);
    ASSERT_NE(r->header("Connection"), "close");
  }
  long rss = rssKb(server.pid());
  RecordProperty("rss_kb_with_2000_idle", std::to_string(rss));
  EXPECT_LT(rss, 300 * 1024) << rss << " kB";
  HttpClient client(server.baseUrl());
  std::vector<double> times;
  for (int i = 0; i < 5; ++i) {
    auto t = Clock::now();
    EXPECT_EQ(client.get("/").status, 200);
    times.push_back(millisSince(t));
  }
  EXPECT_LT(percentile(times, 0.5), 1000.0);  // loose: ASan on a shared machine; ~10 ms here
  // They are still open: each answers another request.
  int answered = 0;
  for (int i = 0; i < kIdle; i += 100) {
    idle[i]->send(kHealth);
    auto r = idle[i]->read(5000);
    answered += r && r->status == 200;
  }
  EXPECT_EQ(answered, kIdle / 100);
}
