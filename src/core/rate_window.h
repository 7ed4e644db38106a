#pragma once
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

namespace mw {

// At most `count` events in any `seconds`-long window: a log of the last `count` event times (a
// true sliding window; two buckets can let 2N through across a boundary). An event at t is
// allowed when the count-th previous one is at least `seconds` old, so every half-open window
// [t, t + seconds) holds at most `count`. 50,000/day keeps 50,000 times (400 KB). Thread-safe.
class RateWindow {
 public:
  using Clock = std::chrono::steady_clock;
  RateWindow(std::int64_t count, double seconds) : count_(count), seconds_(seconds) {}
  bool unlimited() const { return count_ <= 0 || seconds_ <= 0; }

  // Records an event at `now` and returns 0 when the window allows it; else records nothing and
  // returns the seconds until it would.
  double tryTake(double now);
  // Waits (sleeping) for a free place, then takes it.
  void take();
  // Events within the window ending at `now`.
  std::int64_t inWindow(double now);
  static double now();  // steady clock, seconds

 private:
  std::int64_t count_;
  double seconds_;
  std::mutex mutex_;
  std::deque<double> times_;  // oldest first, at most count_
};

// A rate as typed: "N/s", "N/m", "N/h", "N/d" or "N/Ks" (N in K seconds); "" or "0" is
// unlimited. nullopt when malformed.
struct Rate {
  std::int64_t count = 0;  // 0: unlimited
  std::int64_t seconds = 1;
};
std::optional<Rate> parseRate(const std::string& text);
std::string rateText(const Rate& r);  // "14/s", "50000/d", "25/2s"; "" when unlimited

}  // namespace mw
