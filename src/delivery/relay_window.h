#pragma once
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

#include "core/rate_window.h"

namespace mw {
class RedisLink;
}

namespace mw::delivery {

// A relay's rate (issue 14.1): at most N messages in any period, each holding its place from
// when it is taken until its reply settles it, so the bound holds as the relay sees it
// (RateWindow). With REDIS_URL the window is kept in Redis and every process of a fleet counts
// in the same one: a relay of 14/s gets 14/s from all of them, not 14 from each. When Redis is
// unreachable the process counts alone until it is back. Thread-safe.
class RelayWindow {
 public:
  // redis: nullptr for a window of this process alone; key names the window in Redis.
  RelayWindow(Rate rate, RedisLink* redis, std::string key, std::string holder);
  bool unlimited() const { return local_.unlimited(); }
  // Takes up to `wanted` places (at least one, waited for), each in flight until settle().
  std::size_t acquire(std::size_t wanted);
  // The oldest place in flight: its message's reply came now.
  void settle();
  // Places taken within the window ending now (those in flight included).
  std::int64_t inWindow();

 private:
  RateWindow local_;
  Rate rate_;
  RedisLink* redis_;
  std::string key_;
  std::string holder_;
  std::mutex mutex_;
  std::deque<std::string> inFlight_;  // under mutex_: Redis member per place, "" when local
  std::uint64_t counter_ = 0;         // under mutex_
  // Places granted in Redis (0: none now, `wait` seconds until one frees); nullopt when Redis
  // is unreachable.
  std::optional<std::size_t> takeShared(std::size_t wanted, double& wait);
};

}  // namespace mw::delivery
