#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace mw {

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

  std::string key(const std::string& ns, const std::string& rest);
  void bump(const std::string& ns);
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

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// REDIS_URL set: Redis; otherwise the in-process cache.
std::unique_ptr<Cache> makeCache(const std::string& redisUrl);

}  // namespace mw
