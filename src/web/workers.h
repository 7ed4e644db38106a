#pragma once
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace mw::web {

// A fixed set of threads running jobs from a bounded queue: handlers block on the database, the
// I/O threads must not.
class WorkerPool {
 public:
  WorkerPool(int threads, std::size_t maxQueued);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // False when the queue is full or the pool is stopping: the caller answers 503.
  bool tryPost(std::function<void()> job);
  // Runs what is queued, then joins the threads.
  void stop();

 private:
  void run();
  std::size_t maxQueued_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace mw::web
