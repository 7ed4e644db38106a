#pragma once
#include <condition_variable>
#include <mutex>
#include <thread>

#include "web/platform.h"

namespace mw::app {

// Runs Platform::purge() (expired sessions, old login failures, spent links) when `serve` starts
// and every PURGE_INTERVAL_SECONDS after, on its own thread; stops with the object.
class Purger {
 public:
  Purger(web::Platform& platform, int intervalSeconds);
  ~Purger();
  Purger(const Purger&) = delete;
  Purger& operator=(const Purger&) = delete;

 private:
  void run();
  web::Platform& platform_;
  int intervalSeconds_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace mw::app
