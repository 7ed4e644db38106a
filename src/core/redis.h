#pragma once
#include <Poco/Redis/Array.h>
#include <Poco/Redis/Client.h>

#include <chrono>
#include <functional>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>

namespace mw {

// One connection to Redis (REDIS_URL: redis://[:password@]host[:port][/db]) shared by a
// process's threads. When Redis is down every command answers nullopt (logged, never thrown)
// and the connection is tried again at most every 5 s, so a caller falls back at once.
class RedisLink {
 public:
  // `label` names the user in log lines ("cache", "destinations"); onConnect runs on each new
  // connection, under the link's lock, before any command.
  RedisLink(const std::string& url, std::string label,
            std::function<void(Poco::Redis::Client&)> onConnect = {});
  RedisLink(const RedisLink&) = delete;
  RedisLink& operator=(const RedisLink&) = delete;

  // Runs one command; nullopt when Redis is unavailable.
  template <typename T>
  std::optional<T> run(Poco::Redis::Array& cmd) {
    std::lock_guard lock(mutex_);
    if (!connected_ && !connect()) return std::nullopt;
    try {
      return client_.execute<T>(cmd);
    } catch (const Poco::Exception& e) {
      failed("error", e.displayText());
      return std::nullopt;
    }
  }

 private:
  std::string host_ = "127.0.0.1";
  int port_ = 6379;
  std::string password_;
  int dbIndex_ = 0;
  std::string label_;
  std::function<void(Poco::Redis::Client&)> onConnect_;
  std::mutex mutex_;
  Poco::Redis::Client client_;
  bool connected_ = false;
  std::chrono::steady_clock::time_point retryAt_{};
  bool connect();  // under mutex_
  void failed(const char* what, const std::string& why);
};

}  // namespace mw
