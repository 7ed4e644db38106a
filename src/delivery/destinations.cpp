// Per-destination limits (issue 14.2): connections and messages per period per recipient
// domain, over every sender process, and a slow-down after a 421/451.
#include "delivery/destinations.h"

#include <Poco/Redis/Array.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>

#include "core/mail/smtp.h"
#include "core/redis.h"

namespace mw::delivery {

const char* const kDefaultDestinationLimits =
    "gmail.com|googlemail.com:20:3000/m;"
    "yandex.ru|ya.ru|yandex.com|yandex.by|yandex.kz:10:1200/m;"
    "mail.ru|inbox.ru|list.ru|bk.ru|internet.ru:10:1200/m;"
    "outlook.com|hotmail.com|live.com|msn.com:10:1200/m;"
    "*:0:0";

namespace {

// How far ahead deferred messages are spread. Beyond it they come back at the horizon and are
// spread again: with 1M messages to one domain at 50/s, 45,000 fit in 15 minutes and the rest
// are put off again every 15 minutes (about 1,000 row updates a second, next to 50 sends).
// A cancelled backlog leaves a schedule that lapses within it.
constexpr double kHorizonSeconds = 900;
constexpr int kSlowSeconds = 600;  // a slow-down lasts 10 minutes
constexpr double kSlowestFactor = 0.125;

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (true) {
    auto next = s.find(sep, at);
    out.push_back(trim(s.substr(at, next == std::string::npos ? next : next - at)));
    if (next == std::string::npos) return out;
    at = next + 1;
  }
}

DestinationLimit parseEntry(const std::string& entry) {
  auto fail = [&](const std::string& why) {
    return std::runtime_error(
        "DESTINATION_LIMITS: '" + entry + "': " + why +
        " (DOMAINS:CONNECTIONS:RATE, e.g. gmail.com|googlemail.com:20:3000/m)");
  };
  auto parts = split(entry, ':');
  if (parts.size() != 3) throw fail("three fields expected");
  DestinationLimit limit;
  for (auto& d : split(parts[0], '|')) {
    for (auto& ch : d) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (d.empty() || d.find_first_of("@ /") != std::string::npos) throw fail("bad domain");
    limit.domains.push_back(d);
  }
  std::size_t used = 0;
  try {
    limit.connections = std::stoi(parts[1], &used);
  } catch (...) {
    used = 0;
  }
  if (used == 0 || used != parts[1].size() || limit.connections < 0 || limit.connections > 10000)
    throw fail("connections must be a number from 0 to 10000");
  auto rate = parseRate(parts[2]);
  if (!rate) throw fail("rate must read N/s, N/m, N/h, N/d or 0");
  limit.rate = *rate;
  return limit;
}

}  // namespace

std::vector<DestinationLimit> parseDestinationLimits(const std::string& text) {
  std::vector<DestinationLimit> limits;
  for (const auto& entry : split(text, ';')) {
    if (entry.empty()) continue;
    limits.push_back(parseEntry(entry));
  }
  return limits;
}

std::vector<DestinationLimit> destinationLimits(const std::string& setting) {
  auto limits = parseDestinationLimits(setting);
  std::set<std::string> named;
  for (const auto& l : limits) named.insert(l.domains.begin(), l.domains.end());
  for (auto l : parseDestinationLimits(kDefaultDestinationLimits)) {
    std::erase_if(l.domains, [&](const std::string& d) { return named.count(d) > 0; });
    if (!l.domains.empty()) limits.push_back(std::move(l));
  }
  return limits;
}

Destinations::Destinations(std::vector<DestinationLimit> limits, const std::string& redisUrl,
                           std::string holder)
    : limits_(std::move(limits)), holder_(std::move(holder)) {
  if (!redisUrl.empty()) redis_ = std::make_unique<RedisLink>(redisUrl, "destinations");
}

Destinations::~Destinations() = default;

const DestinationLimit* Destinations::limitOf(const std::string& domain, std::string& name) const {
  const DestinationLimit* rest = nullptr;
  for (const auto& l : limits_) {
    for (const auto& d : l.domains) {
      if (d == "*") {
        rest = &l;
      } else if (d == domain) {
        name = l.domains.front();
        return l.limited() ? &l : nullptr;
      }
    }
  }
  name = domain;  // every other domain has a window of its own
  return rest && rest->limited() && !domain.empty() ? rest : nullptr;
}

std::vector<Deferral> Destinations::admit(std::vector<Job>& jobs, DestinationLeases& leases,
                                          std::int64_t now) {
  std::map<std::string, std::pair<const DestinationLimit*, std::vector<std::size_t>>> groups;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    std::string name;
    if (auto* limit = limitOf(mail::addressDomain(jobs[i].email), name)) {
      auto& g = groups[name];
      g.first = limit;
      g.second.push_back(i);
    }
  }
  std::vector<Deferral> later;
  if (groups.empty()) return later;
  std::vector<bool> keep(jobs.size(), true);
  for (auto& [name, group] : groups) {
    auto& [limit, members] = group;
    Grant g = take(name, *limit, members.size());
    if (g.leased) leases.held.push_back({name, g.lease});
    for (std::size_t k = g.granted; k < members.size(); ++k) {
      keep[members[k]] = false;
      const double in = g.first + static_cast<double>(k - g.granted) * g.spacing;
      later.push_back(
          {jobs[members[k]].deliveryId, now + static_cast<std::int64_t>(std::ceil(in))});
    }
  }
  std::size_t i = 0;
  std::erase_if(jobs, [&](const Job&) { return !keep[i++]; });
  return later;
}

Destinations::Grant Destinations::take(const std::string& name, const DestinationLimit& limit,
                                       std::size_t wanted) {
  Grant g;
  if (redis_ && takeShared(name, limit, wanted, g)) return g;
  return takeLocal(name, limit, wanted);
}

namespace {

// KEYS: sent times (sorted set), connections (sorted set of lease -> expiry), slow-down factor,
// schedule cursor. ARGV: window seconds, rate (0: none), wanted, connections (0: any), lease
// id, horizon. Returns {granted, ms until the first of the others, µs between them, leased}.
// Times are Redis's own (TIME), so several machines share one clock.
const char* const kAdmitScript = R"(
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local win, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local wanted, conns = tonumber(ARGV[3]), tonumber(ARGV[4])
local f = tonumber(redis.call('GET', KEYS[3]) or '1')
local eff = math.max(1, math.floor(limit * f))
local spacing = 0
if limit > 0 then spacing = win / eff end
local granted, wait, leased = wanted, 0, 0
if conns > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  if redis.call('ZCARD', KEYS[2]) >= conns then
    granted, wait = 0, 1
  else
    redis.call('ZADD', KEYS[2], now + 120, ARGV[5])
    redis.call('EXPIRE', KEYS[2], 180)
    leased = 1
  end
end
if granted > 0 and limit > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - win)
  local n = redis.call('ZCARD', KEYS[1])
  granted = math.max(0, math.min(wanted, eff - n))
  for i = 1, granted do redis.call('ZADD', KEYS[1], now, ARGV[5] .. ':' .. i) end
  redis.call('EXPIRE', KEYS[1], math.ceil(win) + 1)
  if granted < wanted then
    local k = math.max(0, n + granted - eff)
    local at = redis.call('ZRANGE', KEYS[1], k, k, 'WITHSCORES')
    wait = win
    if at[2] then wait = math.max(0, tonumber(at[2]) + win - now) end
  end
end
if granted == 0 and leased == 1 then
  redis.call('ZREM', KEYS[2], ARGV[5])
  leased = 0
end
local first = 0
if granted < wanted then
  local horizon = tonumber(ARGV[6])
  local start = math.max(tonumber(redis.call('GET', KEYS[4]) or '0'), now + wait)
  start = math.min(start, now + horizon)
  first = start - now
  local after = math.min(start + (wanted - granted) * spacing, now + horizon)
  redis.call('SET', KEYS[4], tostring(after), 'EX', math.ceil(horizon) + 1)
end
return {granted, math.ceil(first * 1000), math.floor(spacing * 1000000), leased}
)";

// KEYS: slow-down factor. ARGV: seconds it lasts. Halves the factor (down to 1/8), at most
// once in 10 s: one reply to a whole pipelined batch is one signal, not twenty.
const char* const kSlowScript = R"(
if redis.call('TTL', KEYS[1]) > tonumber(ARGV[1]) - 10 then return 0 end
local f = math.max(tonumber(redis.call('GET', KEYS[1]) or '1') / 2, 0.125)
redis.call('SET', KEYS[1], tostring(f), 'EX', ARGV[1])
return 1
)";

// KEYS: sent times, slow-down factor. ARGV: window seconds. Returns {in window, factor × 1000}.
const char* const kPeekScript = R"(
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]))
return {redis.call('ZCARD', KEYS[1]),
        math.floor(tonumber(redis.call('GET', KEYS[2]) or '1') * 1000)}
)";

std::string key(const std::string& name, const char* what) {
  return "mw:dest:" + name + ":" + what;
}

}  // namespace

bool Destinations::takeShared(const std::string& name, const DestinationLimit& limit,
                              std::size_t wanted, Grant& g) {
  std::string lease;
  {
    std::lock_guard lock(mutex_);
    lease = holder_ + ":" + std::to_string(++leaseCounter_);
  }
  Poco::Redis::Array cmd;
  cmd << "EVAL" << kAdmitScript << "4" << key(name, "sent") << key(name, "conn")
      << key(name, "slow") << key(name, "next") << std::to_string(limit.rate.seconds)
      << std::to_string(limit.rate.count) << std::to_string(wanted)
      << std::to_string(limit.connections) << lease
      << std::to_string(static_cast<int>(kHorizonSeconds));
  auto reply = redis_->run<Poco::Redis::Array>(cmd);
  if (!reply || reply->size() != 4) return false;
  try {
    g.granted = static_cast<std::size_t>(reply->get<Poco::Int64>(0));
    g.first = static_cast<double>(reply->get<Poco::Int64>(1)) / 1000.0;
    g.spacing = static_cast<double>(reply->get<Poco::Int64>(2)) / 1e6;
    g.leased = reply->get<Poco::Int64>(3) == 1;
  } catch (const Poco::Exception&) {
    return false;
  }
  if (g.leased) g.lease = lease;
  return true;
}

// With "*" limited every recipient domain gets a window: one that has nothing in it any more is
// dropped, every 1,000 admissions, so a list of a million domains does not stay in memory.
void Destinations::forgetIdle(double now) {
  if (++admissions_ % 1000 != 0) return;
  std::erase_if(local_, [&](const auto& entry) {
    const Local& l = entry.second;
    const bool windowEmpty = l.times.empty() || l.times.back() <= now - l.seconds;
    return windowEmpty && l.connections == 0 && l.slowUntil <= now && l.cursor <= now;
  });
}

std::size_t Destinations::windowsKept() {
  std::lock_guard lock(mutex_);
  return local_.size();
}

// The same as kAdmitScript, for this process alone (steady clock).
Destinations::Grant Destinations::takeLocal(const std::string& name, const DestinationLimit& limit,
                                            std::size_t wanted) {
  std::lock_guard lock(mutex_);
  const double now = RateWindow::now();
  forgetIdle(now);
  Local& l = local_[name];
  if (l.slowUntil <= now) l.factor = 1;
  const double win = static_cast<double>(limit.rate.seconds);
  l.seconds = win;
  const auto eff = std::max<std::int64_t>(
      1, static_cast<std::int64_t>(std::floor(static_cast<double>(limit.rate.count) * l.factor)));
  Grant g;
  g.granted = wanted;
  g.spacing = limit.rate.count > 0 ? win / static_cast<double>(eff) : 0;
  double wait = 0;
  if (limit.connections > 0) {
    if (l.connections >= limit.connections) {
      g.granted = 0;
      wait = 1;
    } else {
      ++l.connections;
      g.leased = true;
    }
  }
  if (g.granted > 0 && limit.rate.count > 0) {
    while (!l.times.empty() && l.times.front() <= now - win) l.times.pop_front();
    const auto n = static_cast<std::int64_t>(l.times.size());
    g.granted = static_cast<std::size_t>(
        std::clamp<std::int64_t>(eff - n, 0, static_cast<std::int64_t>(wanted)));
    for (std::size_t i = 0; i < g.granted; ++i) l.times.push_back(now);
    if (g.granted < wanted) {
      const auto k = std::max<std::int64_t>(0, n + static_cast<std::int64_t>(g.granted) - eff);
      wait = std::max(0.0, l.times[static_cast<std::size_t>(k)] + win - now);
    }
  }
  if (g.granted == 0 && g.leased) {
    --l.connections;
    g.leased = false;
  }
  if (g.granted < wanted) {
    const double start = std::min(std::max(l.cursor, now + wait), now + kHorizonSeconds);
    g.first = start - now;
    l.cursor = std::min(start + static_cast<double>(wanted - g.granted) * g.spacing,
                        now + kHorizonSeconds);
  }
  return g;
}

void Destinations::release(DestinationLeases& leases) {
  for (const auto& h : leases.held) {
    if (h.lease.empty()) {
      std::lock_guard lock(mutex_);
      auto& l = local_[h.name];
      if (l.connections > 0) --l.connections;
      continue;
    }
    Poco::Redis::Array cmd;
    cmd << "ZREM" << key(h.name, "conn") << h.lease;
    redis_->run<Poco::Int64>(cmd);  // if lost, the lease lapses within 120 s
  }
  leases.held.clear();
}

void Destinations::slowDown(const std::string& email) {
  std::string name;
  const DestinationLimit* limit = limitOf(mail::addressDomain(email), name);
  if (!limit || limit->rate.count <= 0) return;  // no pace to lower
  if (redis_) {
    Poco::Redis::Array cmd;
    cmd << "EVAL" << kSlowScript << "1" << key(name, "slow") << std::to_string(kSlowSeconds);
    if (redis_->run<Poco::Int64>(cmd)) return;
  }
  std::lock_guard lock(mutex_);
  Local& l = local_[name];
  const double now = RateWindow::now();
  if (l.slowUntil - now > kSlowSeconds - 10) return;
  l.factor = std::max(kSlowestFactor, (l.slowUntil > now ? l.factor : 1.0) / 2);
  l.slowUntil = now + kSlowSeconds;
}

std::vector<Destinations::State> Destinations::states() {
  std::vector<State> out;
  for (const auto& limit : limits_) {
    if (limit.domains.front() == "*" || !limit.limited()) continue;
    State s{limit.domains.front(), &limit};
    bool shared = false;
    if (redis_) {
      Poco::Redis::Array cmd;
      cmd << "EVAL" << kPeekScript << "2" << key(s.name, "sent") << key(s.name, "slow")
          << std::to_string(limit.rate.seconds);
      if (auto reply = redis_->run<Poco::Redis::Array>(cmd); reply && reply->size() == 2) {
        s.inWindow = reply->get<Poco::Int64>(0);
        s.factor = static_cast<double>(reply->get<Poco::Int64>(1)) / 1000.0;
        shared = true;
      }
    }
    if (!shared) {
      std::lock_guard lock(mutex_);
      Local& l = local_[s.name];
      const double now = RateWindow::now();
      s.inWindow = std::count_if(l.times.begin(), l.times.end(), [&](double t) {
        return t > now - static_cast<double>(limit.rate.seconds);
      });
      s.factor = l.slowUntil > now ? l.factor : 1.0;
    }
    out.push_back(s);
  }
  return out;
}

}  // namespace mw::delivery
