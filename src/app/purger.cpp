#include "app/purger.h"

#include <chrono>
#include <iostream>

namespace mw::app {

Purger::Purger(web::Platform& platform, int intervalSeconds)
    : platform_(platform), intervalSeconds_(intervalSeconds), thread_([this] { run(); }) {}

Purger::~Purger() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Purger::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    try {
      platform_.purge();
    } catch (const std::exception& e) {
      std::cerr << "error: purge: " << e.what() << "\n";
    }
    lock.lock();
    wake_.wait_for(lock, std::chrono::seconds(intervalSeconds_), [this] { return stopping_; });
  }
}

}  // namespace mw::app
