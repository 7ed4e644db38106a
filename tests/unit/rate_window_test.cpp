// The relays' sliding window (issue 14.1/14.6): never more than N in any window, exact at the
// boundaries, and the rate syntax the admin types.
#include "core/rate_window.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <thread>
#include <vector>

namespace mw {
namespace {

// The most events in any half-open window [t, t + seconds) of the sorted times.
std::size_t maxInAnyWindow(std::vector<double> times, double seconds) {
  std::sort(times.begin(), times.end());
  std::size_t best = 0, lo = 0;
  for (std::size_t hi = 0; hi < times.size(); ++hi) {
    while (times[hi] - times[lo] >= seconds) ++lo;
    best = std::max(best, hi - lo + 1);
  }
  return best;
}

TEST(RateWindow, ExactAtTheBoundary) {
  RateWindow w(3, 1.0);
  EXPECT_EQ(w.tryTake(10.0), 0);
  EXPECT_EQ(w.tryTake(10.2), 0);
  EXPECT_EQ(w.tryTake(10.5), 0);
  EXPECT_NEAR(w.tryTake(10.6), 0.4, 1e-9);  // the first leaves the window at 11.0
  EXPECT_GT(w.tryTake(10.999999), 0);
  EXPECT_EQ(w.inWindow(10.9), 3);
  EXPECT_EQ(w.tryTake(11.0), 0);  // 10.0 has just left [11.0 - 1, 11.0]
  EXPECT_GT(w.tryTake(11.1), 0);  // 10.2, 10.5, 11.0 are all within 1 s of 11.1
  EXPECT_EQ(w.tryTake(11.2), 0);
  EXPECT_EQ(w.inWindow(11.2), 3);
}

TEST(RateWindow, NeverMoreThanNInAnyWindowUnderRandomDemand) {
  for (auto [n, secs] : {std::pair<std::int64_t, double>{14, 1.0}, {5, 0.25}, {1, 0.02}}) {
    RateWindow w(n, secs);
    std::mt19937 rng(42);
    std::exponential_distribution<double> gap(4.0 * static_cast<double>(n) / secs);
    std::vector<double> taken;
    double t = 0;
    for (int i = 0; i < 20000; ++i) {
      t += gap(rng);
      if (w.tryTake(t) == 0) taken.push_back(t);
    }
    EXPECT_EQ(maxInAnyWindow(taken, secs), static_cast<std::size_t>(n)) << n << "/" << secs;
  }
}

// A sender that comes back exactly when told gets the full rate: n in every window, no more.
TEST(RateWindow, AGreedySenderGetsExactlyTheRate) {
  for (auto [n, secs] : {std::pair<std::int64_t, double>{14, 1.0}, {50, 1.0}, {1, 0.02}}) {
    RateWindow w(n, secs);
    std::vector<double> taken;
    double t = 100.0;
    while (t < 160.0) {
      double wait = w.tryTake(t);
      if (wait > 0) {
        t += std::max(wait, 1e-9);  // a clock moves on by more than one rounding error
        continue;
      }
      taken.push_back(t);
      t += 0.001;  // a millisecond of work per message
    }
    EXPECT_EQ(maxInAnyWindow(taken, secs), static_cast<std::size_t>(n)) << n << "/" << secs;
    // 60 s at n per window: within one window's worth of n * 60 / secs.
    double expected = 60.0 / secs * static_cast<double>(n);
    EXPECT_NEAR(static_cast<double>(taken.size()), expected, static_cast<double>(n) + 1)
        << n << "/" << secs;
  }
}

TEST(RateWindow, ThreadsTakingAtOnceStayWithinTheWindow) {
  RateWindow w(20, 0.2);
  std::mutex m;
  std::vector<double> times;
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k)
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        double at = w.take();
        std::lock_guard lock(m);
        times.push_back(at);
      }
    });
  for (auto& t : threads) t.join();
  ASSERT_EQ(times.size(), 100u);
  // The times the window recorded (a clock read after take() let 23 into a window under load).
  EXPECT_LE(maxInAnyWindow(times, 0.2), 20u);
  double span =
      *std::max_element(times.begin(), times.end()) - *std::min_element(times.begin(), times.end());
  EXPECT_GE(span, 0.8 - 0.01);  // 100 at 20 per 0.2 s: the last starts >= 4 windows after the first
}

// A message in flight holds its place until its reply settles it at the time the relay had it.
TEST(RateWindow, EventsInFlightCountUntilSettledAtTheirReply) {
  RateWindow w(2, 1.0);
  EXPECT_EQ(w.tryTakePending(0.0), 0);
  EXPECT_EQ(w.tryTakePending(0.0), 0);
  EXPECT_GT(w.tryTakePending(5.0), 0);  // both still in flight, however long ago they started
  w.settle(0.5);
  EXPECT_NEAR(w.tryTakePending(1.2), 0.3, 1e-9);  // 0.5 leaves the window at 1.5, not 1.0
  EXPECT_EQ(w.tryTakePending(1.5), 0);
  EXPECT_GT(w.tryTakePending(10.0), 0);
  w.settle(9.0);
  EXPECT_GT(w.tryTakePending(9.9), 0);
  EXPECT_EQ(w.tryTakePending(10.0), 0);
  EXPECT_EQ(w.inWindow(10.0), 2);
}

TEST(RateWindow, UnlimitedNeverWaits) {
  RateWindow w(0, 1);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(w.tryTake(1.0), 0);
}

TEST(Rate, Parses) {
  auto r = parseRate("14/s");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->count, 14);
  EXPECT_EQ(r->seconds, 1);
  EXPECT_EQ(parseRate("50000/d")->seconds, 86400);
  EXPECT_EQ(parseRate("25/2s")->seconds, 2);
  EXPECT_EQ(parseRate("600/m")->seconds, 60);
  EXPECT_EQ(parseRate("")->count, 0);
  EXPECT_EQ(parseRate("0/s")->count, 0);
  for (const char* bad : {"abc", "14", "/s", "14/", "14/x", "-1/s", "1.5/s", "3/0s", "14/ss"})
    EXPECT_FALSE(parseRate(bad)) << bad;
  EXPECT_EQ(rateText({14, 1}), "14/s");
  EXPECT_EQ(rateText({50000, 86400}), "50000/d");
  EXPECT_EQ(rateText({25, 2}), "25/2s");
  EXPECT_EQ(rateText({}), "");
}

}  // namespace
}  // namespace mw
