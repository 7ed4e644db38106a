#include "delivery/recorder.h"

#include "delivery/metrics.h"

#include <Poco/Exception.h>

#include <chrono>
#include <ctime>
#include <iostream>

namespace mw::delivery {

Recorder::Recorder(db::Database& db, RetryPolicy retry,
                   std::function<std::unique_lock<std::mutex>()> writeLock,
                   std::function<void(std::size_t)> committed, AlsoRecord also, AfterCommit after)
    : db_(db),
      retry_(retry),
      writeLock_(std::move(writeLock)),
      committed_(std::move(committed)),
      also_(std::move(also)),
      after_(std::move(after)),
      thread_([this] { loop(); }) {}

Recorder::~Recorder() {
  flush();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Recorder::add(Outcome outcome) {
  {
    std::lock_guard lock(mutex_);
    waiting_.push_back(std::move(outcome));
    ++added_;
  }
  cv_.notify_all();
}

void Recorder::waitBelow(std::size_t most) {
  std::unique_lock lock(mutex_);
  cv_.wait_for(lock, std::chrono::seconds(30), [&] { return stopping_ || added_ - done_ <= most; });
}

bool Recorder::flush(double timeoutSeconds) {
  std::unique_lock lock(mutex_);
  std::uint64_t target = added_;
  return cv_.wait_for(lock, std::chrono::duration<double>(timeoutSeconds),
                      [&] { return done_ >= target; });
}

// Gathers for at most 10 ms after the first outcome arrives (or until kMaxGroup), then commits:
// one transaction costs about as much as a few single-row ones, and 10 ms is far inside the
// ~100 ms an outcome may wait.
void Recorder::loop() {
  std::unique_lock lock(mutex_);
  while (true) {
    cv_.wait(lock, [this] { return stopping_ || !waiting_.empty(); });
    if (waiting_.empty()) return;  // stopping, nothing left
    cv_.wait_for(lock, std::chrono::milliseconds(10),
                 [this] { return stopping_ || waiting_.size() >= kMaxGroup; });
    std::vector<Outcome> group;
    if (waiting_.size() <= kMaxGroup) {
      group.swap(waiting_);
    } else {
      group.assign(std::make_move_iterator(waiting_.begin()),
                   std::make_move_iterator(waiting_.begin() + kMaxGroup));
      waiting_.erase(waiting_.begin(), waiting_.begin() + kMaxGroup);
    }
    lock.unlock();
    // A database that went away (a restarted server, a cut connection) is retried every 200 ms
    // with the same outcomes: they are the only record that these messages went out.
    while (!commit(group)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      std::lock_guard stop(mutex_);
      if (stopping_) break;
    }
    if (committed_) committed_(group.size());
    lock.lock();
    done_ += group.size();
    cv_.notify_all();
  }
}

bool Recorder::commit(const std::vector<Outcome>& group) {
  try {
    auto c = db_.conn();
    std::vector<bounces::PauseNotice> paused;
    {
      auto lock = writeLock_ ? writeLock_() : std::unique_lock<std::mutex>();
      db::Tx tx(c);
      Queue(c).record(group, retry_, static_cast<std::int64_t>(std::time(nullptr)));
      if (also_) paused = also_(c, group);
      tx.commit();
    }
    observeBatch(group, retry_, 0, 0);  // sent, failed and retried, once durable
    if (after_ && !paused.empty()) {
      try {
        after_(c, paused);
      } catch (const std::exception& e) {  // the outcomes are committed: not a reason to redo them
        std::cerr << "delivery: after recording: " << e.what() << "\n";
      }
    }
    return true;
  } catch (const Poco::Exception& e) {
    std::cerr << "delivery: recording " << group.size() << " outcomes: " << e.displayText() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "delivery: recording " << group.size() << " outcomes: " << e.what() << "\n";
  }
  return false;
}

}  // namespace mw::delivery
