#include "delivery/relay_window.h"

#include <Poco/Redis/Array.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "core/redis.h"

namespace mw::delivery {
namespace {

// A place in flight counts this long at most (a sender killed before its reply): it is as if
// sent 60 s from when it was taken, then leaves the window like any other.
constexpr int kInFlightSeconds = 60;

// KEYS: the window (sorted set of places by time). ARGV: window seconds, count, wanted, member
// prefix, seconds a place in flight counts. Returns {granted, ms until a place frees}. Times
// are Redis's own (TIME), so several machines share one clock.
const char* const kTakeScript = R"(
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local win, count = tonumber(ARGV[1]), tonumber(ARGV[2])
local wanted, ttl = tonumber(ARGV[3]), tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - win)
local n = redis.call('ZCARD', KEYS[1])
local granted = math.max(0, math.min(wanted, count - n))
for i = 1, granted do redis.call('ZADD', KEYS[1], now + ttl, ARGV[4] .. ':' .. i) end
redis.call('EXPIRE', KEYS[1], math.ceil(win + ttl) + 1)
if granted > 0 then return {granted, 0} end
local at = redis.call('ZRANGE', KEYS[1], n - count, n - count, 'WITHSCORES')
local wait = 1
if at[2] then wait = tonumber(at[2]) + win - now end
return {0, math.ceil(wait * 1000)}
)";

// KEYS: the window. ARGV: a place in flight, now settled at Redis's time.
const char* const kSettleScript = R"(
local t = redis.call('TIME')
return redis.call('ZADD', KEYS[1], 'XX', tonumber(t[1]) + tonumber(t[2]) / 1000000, ARGV[1])
)";

// KEYS: the window. ARGV: window seconds. Returns the places within it.
const char* const kCountScript = R"(
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]))
return redis.call('ZCARD', KEYS[1])
)";

}  // namespace

RelayWindow::RelayWindow(Rate rate, RedisLink* redis, std::string key, std::string holder)
    : local_(rate.count, static_cast<double>(rate.seconds)),
      rate_(rate),
      redis_(redis),
      key_(std::move(key)),
      holder_(std::move(holder)) {}

std::optional<std::size_t> RelayWindow::takeShared(std::size_t wanted, double& wait) {
  std::string prefix;
  {
    std::lock_guard lock(mutex_);
    prefix = holder_ + ":" + std::to_string(++counter_);
  }
  Poco::Redis::Array cmd;
  cmd << "EVAL" << kTakeScript << "1" << key_ << std::to_string(rate_.seconds)
      << std::to_string(rate_.count) << std::to_string(wanted) << prefix
      << std::to_string(kInFlightSeconds);
  auto reply = redis_->run<Poco::Redis::Array>(cmd);
  if (!reply || reply->size() != 2) return std::nullopt;
  std::size_t granted = 0;
  try {
    granted = static_cast<std::size_t>(reply->get<Poco::Int64>(0));
    wait = static_cast<double>(reply->get<Poco::Int64>(1)) / 1000.0;
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
  std::lock_guard lock(mutex_);
  for (std::size_t i = 1; i <= granted; ++i) inFlight_.push_back(prefix + ":" + std::to_string(i));
  return granted;
}

std::size_t RelayWindow::acquire(std::size_t wanted) {
  if (unlimited()) return wanted;
  if (redis_) {
    while (true) {
      double wait = 0;
      auto got = takeShared(wanted, wait);
      if (!got) break;  // Redis unreachable: this process counts alone
      if (*got > 0) return *got;
      // A place frees at `wait`; one in flight may settle sooner, so look again within 200 ms.
      std::this_thread::sleep_for(std::chrono::duration<double>(std::clamp(wait, 0.005, 0.2)));
    }
  }
  local_.takePending();
  std::size_t n = 1;
  while (n < wanted && local_.tryTakePending(RateWindow::now()) == 0) ++n;
  std::lock_guard lock(mutex_);
  inFlight_.insert(inFlight_.end(), n, "");
  return n;
}

void RelayWindow::settle() {
  if (unlimited()) return;
  std::string member;
  {
    std::lock_guard lock(mutex_);
    if (inFlight_.empty()) return;
    member = std::move(inFlight_.front());
    inFlight_.pop_front();
  }
  if (member.empty()) {
    local_.settle(RateWindow::now());
    return;
  }
  Poco::Redis::Array cmd;
  cmd << "EVAL" << kSettleScript << "1" << key_ << member;
  redis_->run<Poco::Int64>(cmd);  // if lost, the place counts until kInFlightSeconds pass
}

std::int64_t RelayWindow::inWindow() {
  if (redis_ && !unlimited()) {
    Poco::Redis::Array cmd;
    cmd << "EVAL" << kCountScript << "1" << key_ << std::to_string(rate_.seconds);
    if (auto n = redis_->run<Poco::Int64>(cmd)) return *n;
  }
  return local_.inWindow(RateWindow::now());
}

}  // namespace mw::delivery
