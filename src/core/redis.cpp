#include "core/redis.h"

#include <Poco/URI.h>

namespace mw {

RedisLink::RedisLink(const std::string& url, std::string label,
                     std::function<void(Poco::Redis::Client&)> onConnect)
    : label_(std::move(label)), onConnect_(std::move(onConnect)) {
  Poco::URI uri(url);
  if (!uri.getHost().empty()) host_ = uri.getHost();
  if (uri.getPort()) port_ = uri.getPort();
  auto info = uri.getUserInfo();
  if (auto colon = info.find(':'); colon != std::string::npos) password_ = info.substr(colon + 1);
  std::string path = uri.getPath();
  if (path.size() > 1) {
    try {
      dbIndex_ = std::stoi(path.substr(1));
    } catch (...) {
      dbIndex_ = 0;
    }
  }
}

bool RedisLink::connect() {
  if (std::chrono::steady_clock::now() < retryAt_) return false;
  try {
    client_.connect(host_, port_, Poco::Timespan(1, 0));
    client_.setReceiveTimeout(Poco::Timespan(1, 0));
    if (!password_.empty()) {
      Poco::Redis::Array auth;
      auth << "AUTH" << password_;
      client_.execute<std::string>(auth);
    }
    if (dbIndex_) {
      Poco::Redis::Array sel;
      sel << "SELECT" << std::to_string(dbIndex_);
      client_.execute<std::string>(sel);
    }
    if (onConnect_) onConnect_(client_);
    connected_ = true;
    std::cerr << label_ << ": redis connected at " << host_ << ":" << port_ << "\n";
    return true;
  } catch (const Poco::Exception& e) {
    failed("unavailable", e.displayText());
    return false;
  }
}

void RedisLink::failed(const char* what, const std::string& why) {
  std::cerr << label_ << ": redis " << what << " (" << why << "), going on without it\n";
  try {
    client_.disconnect();
  } catch (...) {
  }
  connected_ = false;
  retryAt_ = std::chrono::steady_clock::now() + std::chrono::seconds(5);
}

}  // namespace mw
