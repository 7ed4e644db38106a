#pragma once
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace mw {

// At most `count` events in any `seconds`-long window: a log of the last `count` event times (a
// true sliding window; two buckets can let 2N through across a boundary). An event at t is
// allowed when the oldest of the last `count` is at least `seconds` old, so every half-open
// window [t, t + seconds) holds at most `count`. 50,000/day keeps 50,000 times (800 KB).
//
// A relay counts a message when it has it, not when we start writing it: a message taken with
// takePending() holds its place as "now" until settle() gives the time its reply came (after
// the relay received it), so the bound holds at the relay whatever the delays between (bench:
// times taken at the start let 16 through in a second of a 13/s relay). Thread-safe.
class RateWindow {
 public:
  using Clock = std::chrono::steady_clock;
  RateWindow(std::int64_t count, double seconds) : count_(count), seconds_(seconds) {}
  bool unlimited() const { return count_ <= 0 || seconds_ <= 0; }

  // Records an event at `now` and returns 0 when the window allows it; else records nothing and
  // returns the seconds until it would (an event in flight: at least `seconds`).
  double tryTake(double now) { return record(now, now); }
  // The same for an event in flight until settle().
  double tryTakePending(double now) { return record(now, kPending); }
  void takePending();       // waits (sleeping) for a place
  void settle(double now);  // one event in flight happened at `now`
  // Waits (sleeping) for a free place, then takes it; returns the time it was taken at.
  double take();
  // Events within the window ending at `now` (those in flight included).
  std::int64_t inWindow(double now);
  static double now();  // steady clock, seconds

 private:
  static constexpr double kPending = 1e300;
  std::int64_t count_;
  double seconds_;
  std::mutex mutex_;
  std::multiset<double> times_;  // at most count_; kPending for events in flight
  double record(double now, double at);
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
