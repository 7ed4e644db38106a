#pragma once
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "bounces/record.h"
#include "core/db.h"
#include "delivery/queue.h"

namespace mw::delivery {

// The recording stage (group commit): senders hand over each outcome as its SMTP reply arrives,
// and one thread commits whatever has gathered in one transaction, continuously. An outcome is
// durable within a few milliseconds of the server's answer, so a process killed mid-batch sends
// again only what was truly in flight, not the whole batch (issue 15.6: with one commit per
// batch of 400, 20 kills gave 13,857 duplicates).
class Recorder {
 public:
  using AlsoRecord =
      std::function<std::vector<bounces::PauseNotice>(db::Conn&, const std::vector<Outcome>&)>;
  using AfterCommit = std::function<void(db::Conn&, const std::vector<bounces::PauseNotice>&)>;
  // writeLock serialises writers on SQLite (see Engine); committed(n) runs after n outcomes are
  // durable; also runs in the same transaction as each group, after after it commits.
  Recorder(db::Database& db, RetryPolicy retry,
           std::function<std::unique_lock<std::mutex>()> writeLock,
           std::function<void(std::size_t)> committed, AlsoRecord also = {},
           AfterCommit after = {});
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  void add(Outcome outcome);
  // Waits while more than `most` outcomes wait for their commit: a sender must not run ahead of
  // a slow database, or a kill would repeat everything that piled up.
  void waitBelow(std::size_t most);
  // Waits until everything added so far is committed, at most timeoutSeconds (a database that
  // stays away); returns false when outcomes were left uncommitted.
  bool flush(double timeoutSeconds = 20);

 private:
  static constexpr std::size_t kMaxGroup = 500;  // outcomes per transaction
  db::Database& db_;
  RetryPolicy retry_;
  std::function<std::unique_lock<std::mutex>()> writeLock_;
  std::function<void(std::size_t)> committed_;
  AlsoRecord also_;
  AfterCommit after_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Outcome> waiting_;
  std::uint64_t added_ = 0, done_ = 0;  // under mutex_
  bool stopping_ = false;
  std::thread thread_;

  void loop();
  bool commit(const std::vector<Outcome>& group);
};

}  // namespace mw::delivery
