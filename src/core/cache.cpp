#include "core/cache.h"

#include <Poco/Redis/Array.h>
#include <Poco/Redis/Client.h>
#include <Poco/Redis/Command.h>

#include <iostream>

#include <set>
#include <vector>
#include "core/db.h"
#include "core/redis.h"

namespace mw {

std::string Cache::key(const std::string& ns, const std::string& rest) {
  auto v = get("mw:v:" + ns);
  return "mw:" + ns + ":" + (v ? *v : "0") + ":" + rest;
}

void Cache::bump(const std::string& ns) {
  incr("mw:v:" + ns);
}

std::optional<std::string> MemoryCache::get(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  if (it->second.expires < std::chrono::steady_clock::now()) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.value;
}

void MemoryCache::set(const std::string& key, const std::string& value, int ttlSeconds) {
  std::lock_guard lock(mutex_);
  auto now = std::chrono::steady_clock::now();
  if (entries_.size() >= maxEntries_) {
    // Drop expired entries, then anything, rather than grow without bound; never the counters
    // (no expiry): a namespace version that fell back to 0 would bring old entries back.
    auto permanent = std::chrono::steady_clock::time_point::max();
    for (auto it = entries_.begin(); it != entries_.end();)
      it = it->second.expires < now ? entries_.erase(it) : std::next(it);
    for (auto it = entries_.begin(); it != entries_.end() && entries_.size() >= maxEntries_;)
      it = it->second.expires != permanent ? entries_.erase(it) : std::next(it);
  }
  entries_[key] = {value, now + std::chrono::seconds(ttlSeconds)};
}

void MemoryCache::del(const std::string& key) {
  std::lock_guard lock(mutex_);
  entries_.erase(key);
}

std::int64_t MemoryCache::incr(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto& e = entries_[key];
  std::int64_t v = e.value.empty() ? 0 : std::stoll(e.value);
  e.value = std::to_string(v + 1);
  e.expires = std::chrono::steady_clock::time_point::max();
  return v + 1;
}

struct RedisCache::Impl {
  // Counters whose INCR was lost while Redis was unreachable (namespace versions bumped by an
  // edit): incremented on reconnection, so entries cached before the edit are never served.
  std::mutex missedMutex;
  std::set<std::string> missedIncr;
  RedisLink link;

  explicit Impl(const std::string& url)
      : link(url, "cache", [this](Poco::Redis::Client& client) { replayMissed(client); }) {}

  void replayMissed(Poco::Redis::Client& client) {
    std::lock_guard lock(missedMutex);
    for (auto it = missedIncr.begin(); it != missedIncr.end(); it = missedIncr.erase(it)) {
      Poco::Redis::Array cmd;
      cmd << "INCR" << *it;
      client.execute<Poco::Int64>(cmd);
    }
  }
};

RedisCache::RedisCache(const std::string& url) : impl_(std::make_unique<Impl>(url)) {}

RedisCache::~RedisCache() = default;

std::optional<std::string> RedisCache::get(const std::string& key) {
  Poco::Redis::Array cmd;
  cmd << "GET" << key;
  auto v = impl_->link.run<Poco::Redis::BulkString>(cmd);
  if (!v || v->isNull()) return std::nullopt;
  return v->value();
}

void RedisCache::set(const std::string& key, const std::string& value, int ttlSeconds) {
  Poco::Redis::Array cmd;
  cmd << "SET" << key << value << "EX" << std::to_string(ttlSeconds);
  impl_->link.run<std::string>(cmd);
}

void RedisCache::del(const std::string& key) {
  Poco::Redis::Array cmd;
  cmd << "DEL" << key;
  impl_->link.run<Poco::Int64>(cmd);
}

std::int64_t RedisCache::incr(const std::string& key) {
  Poco::Redis::Array cmd;
  cmd << "INCR" << key;
  auto v = impl_->link.run<Poco::Int64>(cmd);
  if (v) return *v;
  std::lock_guard lock(impl_->missedMutex);
  impl_->missedIncr.insert(key);
  return 0;
}

bool RedisCache::reachable() {
  Poco::Redis::Array cmd;
  cmd << "PING";
  return impl_->link.run<std::string>(cmd).value_or("") == "PONG";
}

std::string SharedVersionCache::key(const std::string& ns, const std::string& rest) {
  auto now = std::chrono::steady_clock::now();
  std::int64_t version = 0;
  {
    std::lock_guard lock(versionsMutex_);
    auto it = versions_.find(ns);
    if (it != versions_.end() && now - it->second.readAt < std::chrono::milliseconds(250))
      return "mw:" + ns + ":" + std::to_string(it->second.value) + ":" + rest;
  }
  try {
    auto c = db_.conn();
    version = c.scalar("SELECT COALESCE(MAX(version), 0) FROM cache_versions WHERE ns = $1", {ns});
  } catch (const std::exception& e) {
    // No shared version (database busy or gone): a key no one stored, so a miss, never stale.
    std::cerr << "cache: cannot read the version of " << ns << ": " << e.what() << "\n";
    return "mw:" + ns + ":unversioned:" + rest;
  }
  std::lock_guard lock(versionsMutex_);
  versions_[ns] = {version, now};
  return "mw:" + ns + ":" + std::to_string(version) + ":" + rest;
}

void SharedVersionCache::bump(const std::string& ns) {
  std::int64_t version = 0;
  try {
    auto c = db_.conn();
    c.exec(R"(
      INSERT INTO cache_versions (ns, version)
      VALUES ($1, 1)
      ON CONFLICT (ns) DO UPDATE SET version = cache_versions.version + 1)",
           {ns});
    version = c.scalar("SELECT version FROM cache_versions WHERE ns = $1", {ns});
  } catch (const std::exception& e) {
    std::cerr << "cache: cannot bump " << ns << ": " << e.what() << "\n";
  }
  std::lock_guard lock(versionsMutex_);
  // A failed bump forgets the version, so the next key() re-reads it instead of serving stale.
  if (version)
    versions_[ns] = {version, std::chrono::steady_clock::now()};
  else
    versions_.erase(ns);
}

std::unique_ptr<Cache> makeCache(const std::string& redisUrl, db::Database& db) {
  if (redisUrl.empty()) return std::make_unique<SharedVersionCache>(db);
  return std::make_unique<RedisCache>(redisUrl);
}

}  // namespace mw
