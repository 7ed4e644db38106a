#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace mw {
namespace db {
class Database;
}

// Key-value cache with expiry. Invalidation uses versioned namespaces: bump(ns) makes every key
// built by key(ns, ...) unreachable at once, in memory and in Redis alike.
class Cache {
 public:
  virtual ~Cache() = default;
  virtual std::optional<std::string> get(const std::string& key) = 0;
  virtual void set(const std::string& key, const std::string& value, int ttlSeconds) = 0;
  virtual void del(const std::string& key) = 0;
  // Atomically increments a counter (creating it at 1) and returns the new value.
  virtual std::int64_t incr(const std::string& key) = 0;
  virtual const char* kind() const = 0;
  // For /readyz: whether the shared store answers (the in-process cache always does).
  virtual bool reachable() { return true; }

  virtual std::string key(const std::string& ns, const std::string& rest);
  virtual void bump(const std::string& ns);
};

class MemoryCache : public Cache {
 public:
  explicit MemoryCache(std::size_t maxEntries = 10000) : maxEntries_(maxEntries) {}
  std::optional<std::string> get(const std::string& key) override;
  void set(const std::string& key, const std::string& value, int ttlSeconds) override;
  void del(const std::string& key) override;
  std::int64_t incr(const std::string& key) override;
  const char* kind() const override { return "memory"; }

 private:
  struct Entry {
    std::string value;
    std::chrono::steady_clock::time_point expires;
  };
  std::mutex mutex_;
  std::map<std::string, Entry> entries_;
  std::size_t maxEntries_;
};

// The in-process cache of the embedded default, whose namespace versions live in the database
// (cache_versions) so that every process on the machine agrees: a `worker` that changes a
// mailing's status drops the figures a `serve` cached. A process re-reads a version at most every
// 250 ms (one indexed read), so another process's bump is seen within that; its own at once.
class SharedVersionCache : public MemoryCache {
 public:
  explicit SharedVersionCache(db::Database& db) : db_(db) {}
  std::string key(const std::string& ns, const std::string& rest) override;
  void bump(const std::string& ns) override;

 private:
  struct Version {
    std::int64_t value = 0;
    std::chrono::steady_clock::time_point readAt;
  };
  db::Database& db_;
  std::mutex versionsMutex_;
  std::map<std::string, Version> versions_;
};

// Redis through POCO's client; when Redis is down every call is a miss (logged, never thrown)
// and the connection is retried at most every few seconds.
class RedisCache : public Cache {
 public:
  explicit RedisCache(const std::string& url);
  ~RedisCache() override;
  std::optional<std::string> get(const std::string& key) override;
  void set(const std::string& key, const std::string& value, int ttlSeconds) override;
  void del(const std::string& key) override;
  std::int64_t incr(const std::string& key) override;
  const char* kind() const override { return "redis"; }
  bool reachable() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// REDIS_URL set: Redis; otherwise the in-process cache with versions shared through `db`.
std::unique_ptr<Cache> makeCache(const std::string& redisUrl, db::Database& db);

// A process-local copy of cached values in decoded form, so that a hot key is not parsed again
// on every request: the home page parsed its 50-article pool from JSON per request, 54% of its
// time (perf, bench_http). Keys come from Cache::key, so a bump anywhere makes a new key; an
// entry lives at most ttlSeconds, as the value it decodes does.
template <class T>
class DecodedMemo {
 public:
  explicit DecodedMemo(int ttlSeconds, std::size_t maxEntries = 256)
      : ttl_(std::chrono::seconds(ttlSeconds)), maxEntries_(maxEntries) {}

  std::shared_ptr<const T> get(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return nullptr;
    if (std::chrono::steady_clock::now() >= it->second.expires) {
      entries_.erase(it);
      return nullptr;
    }
    return it->second.value;
  }

  void put(const std::string& key, std::shared_ptr<const T> value) {
    std::lock_guard lock(mutex_);
    if (entries_.size() >= maxEntries_) entries_.clear();  // old versions' keys pile up otherwise
    entries_[key] = {std::move(value), std::chrono::steady_clock::now() + ttl_};
  }

 private:
  struct Entry {
    std::shared_ptr<const T> value;
    std::chrono::steady_clock::time_point expires;
  };
  std::chrono::steady_clock::duration ttl_;
  std::size_t maxEntries_;
  std::mutex mutex_;
  std::map<std::string, Entry> entries_;
};

}  // namespace mw
